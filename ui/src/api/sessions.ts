/** Sessions: the list, a session's timeline, exports and imports. */

import type { Outcome, OutcomeFilter, OutcomeResult } from './outcomes'

export type SessionStatus = 'running' | 'completed' | 'failed' | 'interrupted' | 'canceled'

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

export interface SessionOverviewFilter {
  agent?: string
  status?: SessionStatus
  started_after?: string
  started_before?: string
  outcome?: OutcomeFilter
  limit?: number
  /** Only sessions a person started (no subagent threads). */
  roots_only?: boolean
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

/** The `sessions.*` methods: what each takes and returns. */
export interface SessionsMethods {
  'sessions.list': {
    params: {
      agent?: string
      status?: SessionStatus
      started_after?: string
      started_before?: string
      limit?: number
      roots_only?: boolean
    }
    result: Session[]
  }
  'sessions.events': {
    params: {
      id: string
      thread_id?: string
      kinds?: EventKind[]
      after_seq?: number
      from_time?: string
      limit?: number
    }
    result: SessionEvent[]
  }
  'sessions.overview': { params: SessionOverviewFilter; result: SessionOverview[] }
  'sessions.get': { params: { id: string }; result: SessionDetail }
  'sessions.page': {
    /** `kinds` and `thread_id`: a {@link TimelineFilter}. */
    params: { id: string; offset: number; limit: number; kinds?: EventKind[]; thread_id?: string }
    result: TimelinePage
  }
  'sessions.marks': {
    /** `kinds` and `thread_id`: a {@link TimelineFilter}. */
    params: { id: string; kinds?: EventKind[]; thread_id?: string }
    result: TimelineMarks
  }
  'sessions.export': {
    params: { id: string; format: 'json' | 'otel' | 'anthropic' }
    result: { file_name: string; document: unknown }
  }
  'sessions.import': {
    params: { agent: string; path: string; format?: ImportFormat | 'auto'; on_error?: 'skip' | 'stop' }
    result: ImportSummary
  }
}
