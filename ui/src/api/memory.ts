/** Memory stores: versioned documents, search, exports and folder mirrors. */

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

/** Who wrote a line: the user, an agent (in which session), a dream (which one) or an edit in a mirrored folder. */
export interface LineAuthor {
  kind: 'user' | 'agent' | 'dream' | 'external'
  session_id: string | null
  dream_id: string | null
  agent: string | null
}

/** One line of a document with the version that introduced it. */
export interface BlameLine {
  line: number
  text: string
  /** The seq of the version that introduced the line. */
  version: number
  at: string
  author: LineAuthor
  reason: string
  pinned: boolean
}

export interface Blame {
  path: string
  version: number
  lines: BlameLine[]
}

export type LineAction = 'correct' | 'forget' | 'pin' | 'unpin'

/** The `memory.*` methods: what each takes and returns. */
export interface MemoryMethods {
  'memory.create_store': {
    params: { name: string; description?: string; instructions?: string; size_limit_bytes?: number }
    result: MemoryStore
  }
  'memory.update_store': {
    params: {
      store: string
      update: {
        description?: string
        instructions?: string
        size_limit_bytes?: number
        /** A folder to mirror to; null stops mirroring. */
        mirror_dir?: string | null
      }
    }
    result: MemoryStore
  }
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
  'memory.export': {
    /** `to_downloads`: a zip in the Downloads folder under a free name; else `dir`. */
    params: { store: string; dir?: string; zip?: boolean; to_downloads?: boolean }
    result: { path: string; zip: boolean; documents: number; bytes: number }
  }
  'memory.blame': { params: { store: string; path: string; version?: number }; result: Blame }
  'memory.line': {
    params: {
      store: string
      path: string
      line: number
      /** The line's text as shown: guards against edits since. */
      expected: string
      action: LineAction
      text?: string
    }
    result: Blame
  }
}
