/**
 * The Claude Managed Agents bridge (Settings and the Memory screen). Shapes as
 * `src-tauri/engine/src/managed_agents` serializes them; see
 * docs/managed-agents.md for each call.
 */

import type { Dream, ProposalEdit } from './dreams'
import type { MirrorConflict } from './memory'
import type { Usage } from './sessions'

/** Whether an Anthropic key is there for the bridge and where from (never the key). */
export interface ManagedKeyStatus {
  available: boolean
  source: 'environment' | 'keychain' | null
  /** The key's last four characters, like "…abcd". */
  hint: string | null
  error: string | null
}

/** A local memory store linked to a Managed Agents memory store. */
export interface ManagedLinkedStore {
  store: string
  store_id: string
  remote_store_id: string
  open_conflicts: number
}

/** A dream started through the bridge, as Reverie recorded it. */
export interface ManagedDreamRecord {
  remote_dream_id: string
  local_store_id: string
  remote_store_id: string
  agent_id: string
  session_ids: string[]
  remote_session_ids: string[]
  model: string
  instructions: string | null
  /** What the dream read: local document path → content sha256. */
  input_sha256: Record<string, string>
  started_at: string
  /** The Reverie dream it was brought back as. */
  imported_dream_id: string | null
}

/** The bridge as Settings shows it; `reachable`/`check_error` are set by `check: true`. */
export interface ManagedBridgeStatus {
  enabled: boolean
  key: ManagedKeyStatus
  base_url: string
  agent_id: string | null
  environment_id: string | null
  dream_model: string | null
  stores: ManagedLinkedStore[]
  uploaded_sessions: number
  dreams: ManagedDreamRecord[]
  reachable: boolean | null
  check_error: string | null
}

/** What `managed.enable` changes; an omitted field stays, an empty one clears. */
export interface ManagedSettings {
  agent_id?: string
  environment_id?: string
  dream_model?: string
  base_url?: string
}

/** A conflict with a Managed Agents store (`dir` is `managed-agents:memstore_…`; "folder" is the remote side). */
export interface ManagedConflict extends MirrorConflict {
  store_sha256: string | null
  folder_sha256: string | null
}

/** What a push or pull did to one document, or why it did not. */
export type ManagedSyncEvent =
  | { event: 'pushed'; path: string; created: boolean }
  | { event: 'removed_remote'; path: string }
  | { event: 'pulled'; path: string; version: number }
  | { event: 'deleted_local'; path: string; version: number }
  | { event: 'conflict'; conflict: ManagedConflict }
  | { event: 'skipped'; path: string; reason: string }
  | { event: 'failed'; path: string; reason: string }

export interface ManagedSyncReport {
  direction: 'push' | 'pull'
  store: string
  store_id: string
  remote_store_id: string
  created_remote_store: boolean
  created_local_store: boolean
  events: ManagedSyncEvent[]
  /** Paths changed on the other side, left for the other direction. */
  waiting: string[]
  open_conflicts: ManagedConflict[]
}

export interface ManagedUploadReport {
  /** `uploaded: false`: sent before, left alone. */
  sessions: { session_id: string; remote_session_id: string; uploaded: boolean }[]
}

export type RemoteDreamStatus = 'pending' | 'running' | 'completed' | 'failed' | 'canceled' | 'unknown'

/** A dream as the Dreams API reports it (`drm_…`). */
export interface RemoteDreamInfo {
  id: string
  status: RemoteDreamStatus
  created_at: string
  ended_at: string | null
  error: { type: string; message: string } | null
  instructions: string | null
  model: { id: string; speed: string | null }
  inputs: ({ type: 'memory_store'; memory_store_id: string } | { type: 'sessions'; session_ids: string[] } | { type: 'other' })[]
  outputs: { memory_store_id: string }[]
  session_id: string | null
  usage: Usage
}

export interface ManagedRemoteDream {
  remote: RemoteDreamInfo
  record: ManagedDreamRecord | null
}

export interface ManagedDreamStarted {
  remote: RemoteDreamInfo
  record: ManagedDreamRecord
  push: ManagedSyncReport
  upload: ManagedUploadReport
}

/** A difference a dream proposed that cannot become an edit (secrets, paths or sizes Reverie cannot hold). */
export interface BlockedEdit {
  path: string
  reason: string
  source_session_ids: string[]
}

export interface ManagedImportedDream {
  /** The Reverie dream: staged for review when completed, failed or canceled otherwise. */
  dream: Dream
  edits: ProposalEdit[]
  blocked: BlockedEdit[]
  remote: RemoteDreamInfo
}

/** The `managed.*` methods: what each takes and returns. */
export interface ManagedMethods {
  'managed.status': { params: { check?: boolean }; result: ManagedBridgeStatus }
  'managed.enable': { params: ManagedSettings; result: ManagedBridgeStatus }
  'managed.disable': { params: Record<string, never>; result: ManagedBridgeStatus }
  'managed.push': { params: { store: string; remote?: string }; result: ManagedSyncReport }
  'managed.pull': { params: { store: string; remote?: string }; result: ManagedSyncReport }
  'managed.conflicts': { params: { store: string; include_resolved?: boolean }; result: ManagedConflict[] }
  'managed.resolve_conflict': { params: { id: string }; result: ManagedConflict }
  'managed.upload_sessions': { params: { session_ids: string[]; force?: boolean }; result: ManagedUploadReport }
  'managed.dream_start': {
    params: { store: string; session_ids?: string[]; instructions?: string; model?: string }
    result: ManagedDreamStarted
  }
  'managed.dream_status': { params: { id: string }; result: ManagedRemoteDream }
  'managed.dream_cancel': { params: { id: string }; result: ManagedRemoteDream }
  'managed.dream_import': { params: { id: string }; result: ManagedImportedDream }
  'managed.dreams': { params: Record<string, never>; result: ManagedDreamRecord[] }
}
