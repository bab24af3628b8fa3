/**
 * The one door from the UI to Reverie's engine.
 *
 * Inside the desktop app every call goes through the Tauri command
 * `api_call(method, params)`, and progress arrives as the Tauri event
 * `api-event`. In a plain browser (development, Playwright) the same calls go
 * to the engine's HTTP bridge on loopback:
 *
 * - `POST {base}/api/{method}` with the params as a JSON body; a 2xx answer's
 *   JSON body is the result; any other status carries
 *   `{"error": {"kind": "...", "message": "one sentence"}}`.
 * - `GET {base}/api/events`: server-sent events, each `data:` line one JSON
 *   {@link ApiEvent}.
 * - Both carry the bridge's sign-in cookie (`credentials: 'include'`): the
 *   bridge refuses anything without its per-start token, which the browser
 *   receives by opening the sign-in address `reverie serve` prints.
 *
 * The bridge base comes from the `?bridge=` query parameter, else
 * `VITE_BRIDGE_URL`, and must be a loopback address.
 *
 * This module owns the wire format and the choice of transport. It must never
 * hold screen state, and never invent an answer when the engine is absent:
 * calls then fail with an {@link ApiError} that says what to do.
 */
import { invoke, isTauri } from '@tauri-apps/api/core'
import { listen } from '@tauri-apps/api/event'

export type ProviderKind = 'anthropic' | 'openai'

/** An agent as the engine's store returns it. */
export interface Agent {
  id: string
  name: string
  provider: ProviderKind
  model: string
  system_prompt: string
  tools: string[]
  default_rubric_id: string | null
  dream_policy: 'review' | 'auto'
  dream_schedule: string | null
  settings: unknown
  stores: AttachedStore[]
  created_at: string
  updated_at: string
}

/** What `agents.create` takes. */
export interface NewAgent {
  name: string
  provider: ProviderKind
  model: string
  system_prompt: string
  tools: string[]
}

/** Where a model key was found, as `keys.status` reports it (never the key). */
export interface KeyStatus {
  provider: ProviderKind
  available: boolean
  source: 'keychain' | 'environment' | string | null
  hint?: string
  error?: string
}

export type SessionStatus = 'running' | 'completed' | 'failed' | 'interrupted' | 'canceled'

export interface AppInfo {
  version: string
  data_dir: string
  schema_version: number
}

// --- Session timeline and rubric builder (ui-timeline) ---------------------

/** What kind of step an event records (the engine's `EventKind`). */
export type EventKind =
  | 'user_message'
  | 'assistant_text'
  | 'thinking'
  | 'tool_call'
  | 'tool_result'
  | 'memory_read'
  | 'memory_write'
  | 'subagent_spawned'
  | 'subagent_finished'
  | 'grader_verdict'
  | 'outcome_iteration'
  | 'retry'
  | 'error'
  | 'limit_reached'
  | 'final_answer'

export interface Usage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

/** A session (or a subagent's thread, which is a session with a parent). */
export interface Session {
  id: string
  agent_id: string
  agent_name: string
  parent_id: string | null
  root_id: string
  task: string
  status: SessionStatus
  final_answer: string | null
  error: string | null
  usage: Usage
  cost_usd: number
  started_at: string
  ended_at: string | null
  /** Set on sessions imported from another tool. */
  imported?: ImportedSource
}

/** One step of a session's timeline; `seq` orders them. */
export interface SessionEvent {
  seq: number
  session_id: string
  thread_id: string
  parent_thread_id: string | null
  kind: EventKind
  at: string
  latency_ms: number | null
  usage: Usage | null
  cost_usd: number | null
  data: Record<string, unknown>
}

export type OutcomeResult =
  | 'needs_revision'
  | 'satisfied'
  | 'max_iterations_reached'
  | 'failed'
  | 'interrupted'

export interface Outcome {
  id: string
  session_id: string
  agent_id: string
  rubric_id: string
  rubric_version: number
  task: string
  max_iterations: number
  result: OutcomeResult | null
  explanation: string
  iterations: number
  score: number | null
  created_at: string
  finished_at: string | null
}

/** A session in the list, with its thread count and latest outcome. */
export interface SessionOverview extends Session {
  thread_count: number
  outcome: { result: OutcomeResult | null; score: number | null; iterations: number } | null
}

/** Where an imported session came from (absent on sessions Reverie ran). */
export interface ImportedSource {
  format: ImportFormat
  file_name: string
  record: number
  line: number | null
  original_id: string | null
  imported_at: string
  /** The source's own verdict: τ-bench's reward, a pass/fail. */
  outcome: { passed: boolean | null; reward: number | null } | null
}

export type ImportFormat = 'anthropic' | 'openai' | 'managed-agents'

/** What an import did; the lists are capped, the counts cover everything. */
export interface ImportSummary {
  agent: string
  file_name: string
  format: ImportFormat | null
  records: number
  imported: number
  skipped_duplicates: number
  malformed: number
  malformed_records: {
    position: { record: number; line: number | null; element: number | null; byte_offset: number | null }
    at: string
    message: string
  }[]
  session_ids: string[]
  /** Why the import ended before the end of the file, if it did. */
  stopped: string | null
}

export type OutcomeFilter = 'ungraded' | 'graded' | OutcomeResult

export interface SessionOverviewFilter {
  agent?: string
  status?: SessionStatus
  started_after?: string
  started_before?: string
  outcome?: OutcomeFilter
  limit?: number
}

/** Which events a timeline view shows. */
export interface TimelineFilter {
  kinds?: EventKind[]
  thread_id?: string
}

export interface TimelinePage {
  total: number
  offset: number
  events: SessionEvent[]
}

export interface TimelineMarks {
  /** Positions (in the filtered view) of errors. */
  errors: number[]
  kinds: Partial<Record<EventKind, number>>
  threads: Record<string, number>
}

export interface SessionDetail {
  session: Session
  threads: Session[]
  outcomes: Outcome[]
  event_count: number
}

/** A rubric as stored: its document byte for byte as saved. */
export interface StoredRubric {
  id: string
  name: string
  version: number
  document: string
  created_at: string
  updated_at: string
}

/** A criterion's verdict, as the grader returns it. */
export interface CriterionVerdict {
  criterion_index: number
  name: string
  passed: boolean
  score: number
  evidence: string
  gap?: string | null
}

export interface Grade {
  applies: boolean
  explanation: string
  verdicts: CriterionVerdict[]
  score: { weighted_score: number; passed_threshold: boolean; failed_required: number[] }
  unquoted_evidence: number[]
  requests: number
  model: string
  usage: { input_tokens: number; output_tokens: number }
  cost_usd: number
  model_ms: number
}

export interface RubricValidation {
  valid: boolean
  error?: { line: number | null; column: number | null; field: string; message: string; text: string }
}

export interface RegexPreview {
  matches: { start: number; end: number; text: string }[]
  truncated: boolean
}

/** The timeline and rubric builder's calls (merged into {@link ApiMethods}). */
export interface TimelineMethods {
  'sessions.overview': { params: SessionOverviewFilter; result: SessionOverview[] }
  'sessions.get': { params: { id: string }; result: SessionDetail }
  'sessions.page': {
    params: { id: string; offset: number; limit: number } & TimelineFilter
    result: TimelinePage
  }
  'sessions.marks': { params: { id: string } & TimelineFilter; result: TimelineMarks }
  'sessions.export': {
    params: { id: string; format: 'json' | 'otel' | 'anthropic' }
    result: { file_name: string; document: unknown }
  }
  'sessions.import': {
    params: { agent: string; path: string; format?: ImportFormat | 'auto'; on_error?: 'skip' | 'stop' }
    result: ImportSummary
  }
  'demo.load': {
    params: Record<string, never>
    result: { agent: string; created_agent: boolean; summary: ImportSummary }
  }
  'memory.export': {
    /** `to_downloads`: a zip in the Downloads folder under a free name; else `dir`. */
    params: { store: string; dir?: string; zip?: boolean; to_downloads?: boolean }
    result: { path: string; zip: boolean; documents: number; bytes: number }
  }
  'rubrics.list': { params: Record<string, never>; result: StoredRubric[] }
  'rubrics.get': { params: { name: string }; result: StoredRubric }
  'rubrics.save': { params: { name?: string; document: string }; result: StoredRubric }
  'rubrics.delete': { params: { name: string }; result: { deleted: boolean } }
  'rubrics.validate': { params: { document: string }; result: RubricValidation }
  'rubrics.starters': { params: Record<string, never>; result: unknown[] }
  'rubrics.canonical': { params: { document: string }; result: { text: string } }
  'rubrics.try_regex': {
    params: { pattern: string; flags?: string; text: string }
    result: RegexPreview
  }
  'rubrics.test': {
    params: { session_id: string; document?: string; rubric?: string }
    result: { grade: Grade; passed: boolean }
  }
}
// --- end of session timeline and rubric builder ----------------------------

/**
 * The engine's methods, by name: what each takes and returns, mirroring the
 * API table in `src-tauri/engine/src/api.rs`. Add an entry here when a screen
 * starts using a call, so every call is typed.
 */
export interface ApiMethods extends TimelineMethods {
  'app.info': { params: Record<string, never>; result: AppInfo }
  /** Writes a file into the user's Downloads folder (the app's webview cannot download). */
  'files.save_download': { params: { file_name: string; text: string }; result: { path: string } }
  'agents.list': { params: Record<string, never>; result: Agent[] }
  'agents.create': { params: NewAgent; result: Agent }
  'run.start': { params: { agent: string; task: string }; result: { session_id: string } }
  'run.cancel': { params: { id: string }; result: { canceled: boolean } }
  'keys.status': { params: { provider: ProviderKind }; result: KeyStatus }
  'keys.set': { params: { provider: ProviderKind; key: string }; result: { stored: boolean } }
  'keys.delete': { params: { provider: ProviderKind }; result: { removed: boolean } }
  'keys.test': { params: { provider: ProviderKind }; result: { ok: boolean; message: string } }
  'settings.get': { params: { key: string }; result: string | null }
  'settings.set': {
    /** `confirm_key_host`: the person agreed that the saved API key may go to a new provider address. */
    params: { key: string; value: string; confirm_key_host?: boolean }
    result: { saved: boolean }
  }
}

export type ApiMethod = keyof ApiMethods
export type ParamsOf<M extends ApiMethod> = ApiMethods[M]['params']
export type ResultOf<M extends ApiMethod> = ApiMethods[M]['result']

/** A progress notice from the engine (a session event, a dream's status, ...). */
export interface ApiEvent {
  type: string
  [field: string]: unknown
}

/** Why a call failed, in one sentence a person can act on. */
export class ApiError extends Error {
  readonly kind: string
  readonly method: string

  constructor(kind: string, message: string, method: string) {
    super(message)
    this.name = 'ApiError'
    this.kind = kind
    this.method = method
  }
}

/** How calls reach the engine. */
export interface Transport {
  readonly kind: 'tauri' | 'bridge' | 'none'
  /** Where the engine is, for people: shown in Settings. */
  readonly description: string
  call(method: string, params: unknown): Promise<unknown>
  /** Delivers every engine event to `onEvent` until the returned function is called. */
  subscribe(onEvent: (event: ApiEvent) => void): () => void
}

/** The Tauri command and event names the app crate registers. */
export const TAURI_COMMAND = 'api_call'
export const TAURI_EVENT = 'api-event'

const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_.]*$/

function checkMethod(method: string): void {
  if (!METHOD_NAME.test(method)) {
    throw new ApiError(
      'invalid_method',
      `"${method}" is not a method name: use letters, digits, "_" and "." only.`,
      method,
    )
  }
}

/** Turns whatever the engine sent back as an error into an {@link ApiError}. */
function toApiError(method: string, body: unknown, fallback: string): ApiError {
  const error =
    body && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : body
  if (error && typeof error === 'object') {
    const { kind, message } = error as { kind?: unknown; message?: unknown }
    if (typeof message === 'string' && message) {
      return new ApiError(typeof kind === 'string' ? kind : 'engine', message, method)
    }
  }
  if (typeof error === 'string' && error) return new ApiError('engine', error, method)
  return new ApiError('engine', fallback, method)
}

/**
 * The native file chooser of the desktop app; `undefined` when the user
 * canceled, `null` when the UI does not run in the app (in a browser the
 * engine's files are named by path instead).
 */
export async function chooseFile(
  title: string,
  filters: { name: string; extensions: string[] }[],
): Promise<string | undefined | null> {
  if (!isTauri()) return null
  const chosen = await invoke<string | null>('choose_file', { title, filters })
  return chosen ?? undefined
}

/**
 * "Start Reverie at login": reads the system's autostart entry, or sets it
 * when `enabled` is given. `null` when the UI does not run in the app.
 */
export async function startAtLogin(enabled?: boolean): Promise<boolean | null> {
  if (!isTauri()) return null
  return invoke<boolean>('start_at_login', { enabled: enabled ?? null })
}

/** Calls through Tauri's IPC; only works inside the desktop app. */
export function tauriTransport(): Transport {
  return {
    kind: 'tauri',
    description: 'The Reverie desktop app',
    async call(method, params) {
      checkMethod(method)
      try {
        return await invoke(TAURI_COMMAND, { method, params: params ?? {} })
      } catch (error) {
        throw toApiError(method, error, `The engine could not run "${method}".`)
      }
    },
    subscribe(onEvent) {
      let stopped = false
      let unlisten: (() => void) | undefined
      void listen<ApiEvent>(TAURI_EVENT, (event) => onEvent(event.payload)).then((stop) => {
        if (stopped) stop()
        else unlisten = stop
      })
      return () => {
        stopped = true
        unlisten?.()
      }
    },
  }
}

/** What the bridge transport needs from its host; tests pass Node's. */
export interface BridgeOptions {
  fetch?: typeof fetch
  EventSource?: typeof EventSource
}

/** Calls the engine's HTTP bridge at `base` (a loopback origin). */
export function bridgeTransport(base: string, options: BridgeOptions = {}): Transport {
  const root = base.replace(/\/+$/, '')
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const Source = options.EventSource ?? globalThis.EventSource
  const unreachable = (method: string) =>
    new ApiError(
      'unreachable',
      `Reverie's engine is not answering at ${root}: start it with \`reverie serve\` and reload this page.`,
      method,
    )

  return {
    kind: 'bridge',
    description: `The engine bridge at ${root}`,
    async call(method, params) {
      checkMethod(method)
      let response: Response
      try {
        response = await doFetch(`${root}/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(params ?? {}),
          credentials: 'include',
        })
      } catch {
        throw unreachable(method)
      }
      const text = await response.text()
      let body: unknown = undefined
      if (text) {
        try {
          body = JSON.parse(text)
        } catch {
          throw new ApiError(
            'bad_response',
            `The engine answered "${method}" with something that is not JSON (HTTP ${response.status}).`,
            method,
          )
        }
      }
      if (!response.ok) {
        throw toApiError(method, body, `The engine refused "${method}" (HTTP ${response.status}).`)
      }
      return body ?? null
    },
    subscribe(onEvent) {
      if (!Source) return () => {}
      const source = new Source(`${root}/api/events`, { withCredentials: true })
      source.onmessage = (message: MessageEvent) => {
        try {
          const event = JSON.parse(String(message.data)) as ApiEvent
          if (event && typeof event.type === 'string') onEvent(event)
        } catch {
          // A line that is not an event is ignored; the stream goes on.
        }
      }
      return () => source.close()
    },
  }
}

/** Used when no engine is reachable: every call says how to connect one. */
export function disconnectedTransport(reason: string): Transport {
  return {
    kind: 'none',
    description: reason,
    async call(method) {
      throw new ApiError('not_connected', reason, method)
    },
    subscribe() {
      return () => {}
    },
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * The bridge base from `?bridge=` (first) or `VITE_BRIDGE_URL`. Returns an
 * error sentence instead when the address is not an http(s) loopback URL, so
 * a crafted link cannot point the UI at another machine.
 */
export function bridgeBase(
  search: string,
  envUrl: string | undefined,
): { base: string } | { error: string } | null {
  const raw = new URLSearchParams(search).get('bridge') ?? envUrl
  if (!raw) return null
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { error: `The bridge address "${raw}" is not a URL: use one like http://127.0.0.1:7420.` }
  }
  if (!['http:', 'https:'].includes(url.protocol) || !LOOPBACK_HOSTS.has(url.hostname)) {
    return {
      error: `The bridge address "${raw}" is not on this computer: use http://127.0.0.1:PORT.`,
    }
  }
  return { base: url.origin + url.pathname.replace(/\/+$/, '') }
}

/** Picks the transport for where the UI runs: Tauri, a bridge, or none. */
export function detectTransport(): Transport {
  if (isTauri()) return tauriTransport()
  const found = bridgeBase(window.location.search, import.meta.env.VITE_BRIDGE_URL)
  if (found && 'base' in found) return bridgeTransport(found.base)
  if (found && 'error' in found) return disconnectedTransport(found.error)
  return disconnectedTransport(
    'Not connected to an engine: open the Reverie app, or run `reverie serve` and add ?bridge=http://127.0.0.1:PORT to this address.',
  )
}

let current: Transport | undefined

/** The transport in use, chosen on first use. */
export function transport(): Transport {
  current ??= detectTransport()
  return current
}

/** Replaces the transport (tests pointing the UI at their own server). */
export function setTransport(next: Transport | undefined): void {
  current = next
}

/** Calls an engine method with typed params and result. */
export function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  return transport().call(method, params) as Promise<ResultOf<M>>
}

/** Subscribes to the engine's progress events. */
export function subscribe(onEvent: (event: ApiEvent) => void): () => void {
  return transport().subscribe(onEvent)
}

// ---- Memory stores and dreams (the Memory and Dreams screens) ----

export type AuthorKind = 'user' | 'agent' | 'dream' | 'external'

/** A memory store: a tree of small documents addressed by `/memories/...` paths. */
export interface MemoryStore {
  id: string
  name: string
  description: string
  instructions: string
  size_limit_bytes: number
  owner_agent_id: string | null
  mirror_dir: string | null
  created_at: string
  used_bytes: number
  document_count: number
}

/** A live document and its current version. */
export interface MemoryDocument {
  id: string
  store_id: string
  path: string
  pinned: boolean
  version: number
  sha256: string
  size: number
  author: AuthorKind
  updated_at: string
}

/** One immutable version of a document (`content` is null for deletions and redactions). */
export interface DocumentVersion {
  id: string
  document_id: string
  seq: number
  path: string
  op: 'create' | 'update' | 'delete' | 'rename' | 'restore'
  content: string | null
  sha256: string
  size: number
  author: AuthorKind
  author_id: string | null
  session_id: string | null
  dream_id: string | null
  reason: string
  redacted_at: string | null
  created_at: string
}

export interface SearchHit {
  path: string
  matches: { line: number; text: string }[]
}

export interface MirrorConflict {
  id: string
  store_id: string
  dir: string
  path: string
  conflict_path: string | null
  kind: 'both_changed' | 'deleted_in_store' | 'deleted_in_folder'
  detected_at: string
  resolved_at: string | null
}

export interface MirrorStatus {
  dir: string | null
  running: boolean
  conflicts?: MirrorConflict[]
}

export type DreamStatus = 'pending' | 'running' | 'completed' | 'failed' | 'canceled'
export type ReviewState = 'none' | 'staged' | 'applied' | 'partially_applied' | 'rejected' | 'reverted'
export type EditOp = 'create' | 'rewrite' | 'merge' | 'delete'
export type EditDecision = 'pending' | 'accepted' | 'rejected' | 'applied' | 'reverted'

export interface Dream {
  id: string
  agent_id: string
  input_store_id: string
  output_store_id: string | null
  mode: 'create_new' | 'update_existing'
  status: DreamStatus
  review: ReviewState
  trigger: 'schedule' | 'tray' | 'ui' | 'cli'
  provider: string
  model: string
  instructions: string
  budget_tokens: number | null
  session_ids: string[]
  /** `{phase, chunk, chunks}` while running; `{phase: "done", blocked, held_for_review, stats}` after. */
  progress: Record<string, unknown>
  usage: {
    input_tokens: number
    output_tokens: number
    cache_creation_input_tokens: number
    cache_read_input_tokens: number
  }
  cost_usd: number
  error: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  applied_at: string | null
  reverted_at: string | null
}

/** One change a dream proposes, with why and which sessions justify it. */
export interface ProposalEdit {
  id: string
  dream_id: string
  position: number
  op: EditOp
  path: string
  merged_paths: string[]
  content: string | null
  base_sha256: string | null
  reason: string
  source_session_ids: string[]
  decision: EditDecision
}

export type EditSummary = Omit<ProposalEdit, 'dream_id' | 'position' | 'content' | 'base_sha256'>

export interface DreamListItem {
  dream: Dream
  agent: string
  edits: EditSummary[]
}

export interface DreamDetail {
  dream: Dream
  agent: string
  edits: ProposalEdit[]
  /** What each touched document held before the dream (content null: it did not exist). */
  before: Record<string, { content: string | null; current_sha256: string | null }>
}

export interface DreamEstimate {
  agent: string
  session_ids: string[]
  /** Sessions beyond the budget: they wait for the next dream. */
  deferred_session_ids?: string[]
  estimated_input_tokens: number
  budget_tokens?: number
  calls: number
  /** What the dream will leave out or shorten, one sentence each. */
  notes?: string[]
  estimated_cost_usd: number | null
}

export interface RevertConflict {
  path: string
  before: string | null
  dream: string | null
  current: string | null
}

export type ConflictChoice = 'keep_current' | 'restore_before'

export interface DreamParams {
  agent: string
  session_ids?: string[]
  budget_tokens?: number
  instructions?: string
}

export interface ApiMethods {
  'memory.stores': { params: Record<string, never>; result: MemoryStore[] }
  'memory.list': { params: { store: string; under?: string }; result: MemoryDocument[] }
  'memory.read': { params: { store: string; path: string }; result: { document: MemoryDocument; content: string } }
  'memory.write': {
    params: { store: string; path: string; content: string; reason?: string; expected_sha256?: string; allow_secret?: boolean }
    result: DocumentVersion
  }
  'memory.redact_secrets': {
    params: { store: string; path: string }
    result: { path: string; new_version: number | null; redacted_versions: number[] }
  }
  'memory.delete': { params: { store: string; path: string }; result: DocumentVersion }
  'memory.rename': { params: { store: string; from: string; to: string }; result: DocumentVersion }
  'memory.history': { params: { store: string; path: string }; result: DocumentVersion[] }
  'memory.restore': { params: { store: string; path: string; version: number }; result: DocumentVersion }
  'memory.pin': { params: { store: string; path: string; pinned: boolean }; result: MemoryDocument }
  'memory.search': { params: { store: string; query: string }; result: SearchHit[] }
  'memory.redact': { params: { id: string }; result: DocumentVersion }
  'memory.mirror_status': { params: { store: string }; result: MirrorStatus }
  'memory.mirror_enable': { params: { store: string; dir: string }; result: MirrorStatus }
  'memory.mirror_disable': { params: { store: string }; result: MirrorStatus }
  'memory.mirror_resolve': { params: { id: string }; result: MirrorConflict }
  'dreams.list': { params: { agent?: string; limit?: number }; result: DreamListItem[] }
  'dreams.get': { params: { id: string }; result: DreamDetail }
  'dreams.estimate': { params: DreamParams; result: DreamEstimate }
  'dreams.start': { params: DreamParams; result: Dream }
  'dreams.cancel': { params: { id: string }; result: { canceled: boolean } }
  'dreams.decide': {
    params: { edit_id: string; decision: 'accepted' | 'rejected' | 'pending' }
    result: ProposalEdit
  }
  'dreams.decide_all': { params: { id: string; decision: 'accepted' | 'rejected' | 'pending' }; result: ProposalEdit[] }
  'dreams.apply': { params: { id: string }; result: Dream }
  'dreams.reject': { params: { id: string }; result: Dream }
  'dreams.revert_conflicts': { params: { id: string }; result: RevertConflict[] }
  'dreams.revert': {
    params: { id: string; choices?: Record<string, ConflictChoice> }
    result: { dream: Dream; restored: string[]; kept: string[] }
  }
}

// ---- Agent editor, first-run onboarding and Settings ----

/** A memory store mounted in an agent's sessions, and how. */
export interface AttachedStore {
  store_id: string
  store_name: string
  access: 'read_only' | 'read_write'
}

export type DreamPolicy = 'review' | 'auto'

/** What `agents.update` changes; a missing field stays as it is, `null` clears. */
export interface AgentUpdate {
  provider?: ProviderKind
  model?: string
  system_prompt?: string
  tools?: string[]
  default_rubric_id?: string | null
  dream_policy?: DreamPolicy
  dream_schedule?: string | null
  /** Replaces the agent's settings (limits and other knobs) as a whole. */
  settings?: Record<string, unknown>
}

/** A model a picker offers, with its price when Reverie knows it (USD per million tokens). */
export interface ModelChoice {
  id: string
  input_usd_per_mtok: number | null
  output_usd_per_mtok: number | null
}

/**
 * The models a picker offers. `live`: the server answered `GET /v1/models`
 * (its models are in the list); otherwise `live_error` says why not.
 */
export interface ModelList {
  provider: ProviderKind
  models: ModelChoice[]
  live: boolean
  live_error: string | null
}

/** Whether scheduled dreams are paused, and when each agent dreams next. */
export interface ScheduleStatus {
  paused: boolean
  agents: { agent: string; schedule: string | null; valid: boolean; next: string | null }[]
  default_budget_tokens: number
  min_budget_tokens: number
}

export interface ApiMethods {
  'agents.get': { params: { name: string }; result: Agent }
  'agents.update': { params: { name: string; update: AgentUpdate }; result: Agent }
  'agents.delete': { params: { name: string }; result: { deleted: boolean } }
  'agents.roster': { params: { name: string }; result: Agent[] }
  'agents.roster_add': { params: { lead: string; member: string }; result: Agent[] }
  'agents.roster_remove': { params: { lead: string; member: string }; result: Agent[] }
  'agents.attach_store': {
    params: { agent: string; store: string; access: AttachedStore['access'] }
    result: Agent
  }
  'agents.detach_store': { params: { agent: string; store: string }; result: Agent }
  'models.list': { params: { provider: ProviderKind }; result: ModelList }
  /** A local server's context window and whether its chat template can call tools (null: it cannot tell). */
  'models.capabilities': {
    params: { provider: ProviderKind; model: string }
    result: { context_tokens: number | null; supports_tools: boolean | null }
  }
  /** A model's price from Reverie's price table (no server is asked); null when unknown. */
  'models.price': {
    params: { model: string }
    result: { model: string; input_usd_per_mtok: number; output_usd_per_mtok: number } | null
  }
  'schedule.validate': { params: { schedule: string }; result: { valid: boolean; next: string | null } }
  'dreams.schedule_status': { params: Record<string, never>; result: ScheduleStatus }
  'dreams.pause': { params: Record<string, never>; result: ScheduleStatus }
  'dreams.resume': { params: Record<string, never>; result: ScheduleStatus }
}

// ---- Claude Managed Agents bridge (Settings and the Memory screen) ----
// Shapes as `src-tauri/engine/src/managed_agents` serializes them; see
// docs/managed-agents.md for each call.

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

export interface ApiMethods {
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
// ---- end of Claude Managed Agents bridge ----
