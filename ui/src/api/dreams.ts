/** Dreams: proposed memory edits, their review, and the dream schedule. */

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
  /** `create_new` writes the proposal into a new store; the default edits the agent's own. */
  mode?: 'create_new' | 'update_existing'
  /** Apply without review (else the agent's dream policy decides). */
  apply?: boolean
}

/** Whether scheduled dreams are paused, and when each agent dreams next. */
export interface ScheduleStatus {
  paused: boolean
  agents: { agent: string; schedule: string | null; valid: boolean; next: string | null }[]
  default_budget_tokens: number
  min_budget_tokens: number
}

/** The `dreams.*` methods: what each takes and returns. */
export interface DreamsMethods {
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
  /** Refused (conflict) while the dream's checks run; needs_confirmation when they regressed, until sent with force. */
  'dreams.apply': { params: { id: string; force?: boolean }; result: Dream }
  'dreams.reject': { params: { id: string }; result: Dream }
  'dreams.revert_conflicts': { params: { id: string }; result: RevertConflict[] }
  'dreams.revert': {
    params: { id: string; choices?: Record<string, ConflictChoice> }
    result: { dream: Dream; restored: string[]; kept: string[] }
  }
  'dreams.schedule_status': { params: Record<string, never>; result: ScheduleStatus }
  'dreams.pause': { params: Record<string, never>; result: ScheduleStatus }
  'dreams.resume': { params: Record<string, never>; result: ScheduleStatus }
}
