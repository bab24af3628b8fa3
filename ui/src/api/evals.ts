/**
 * Evaluation sets and the regression gate: each agent's checks (a task with a
 * rubric), run before and after a dream to prove it did not make things worse.
 */

/** One check of an agent's evaluation set: a task graded with a rubric. */
export interface EvalTask {
  id: string
  agent_id: string
  position: number
  task: string
  /** The rubric's stored name. */
  rubric: string
  source_session_id: string | null
  created_at: string
  updated_at: string
}

export type GateStatus = 'running' | 'passed' | 'regressed' | 'failed' | 'canceled'

/** One side (before or after) of one check in a gate. */
export interface GateSide {
  session_id: string | null
  passed: boolean | null
  score: number | null
  attempts: number
  cost_usd: number
  duration_ms: number
  status: 'pending' | 'running' | 'done' | 'failed'
  error: string | null
}

export interface GateTaskResult {
  task_id: string
  task: string
  rubric: string
  before: GateSide
  after: GateSide
  score_change: number | null
  regression: boolean
}

export interface GateSummary {
  passed_before: number
  passed_after: number
  mean_before: number | null
  mean_after: number | null
  regressions: number
  cost_usd: number
  duration_ms: number
}

/** The checks run on memory before and after a dream (or between two dreams). */
export interface Gate {
  id: string
  agent: string
  dream_id: string | null
  before_label: string
  after_label: string
  status: GateStatus
  done: number
  total: number
  tolerance: number
  summary: GateSummary
  /** Regressions first. */
  tasks: GateTaskResult[]
  /** One sentence for people. */
  verdict: string
  started_at: string
  finished_at: string | null
  error: string | null
}

/** The `evals.*` methods: what each takes and returns. */
export interface EvalsMethods {
  'evals.list': { params: { agent: string }; result: EvalTask[] }
  'evals.add': { params: { agent: string; task: string; rubric: string; name?: string }; result: EvalTask }
  'evals.add_from_session': { params: { session_id: string; rubric?: string }; result: EvalTask }
  'evals.update': { params: { id: string; task?: string; rubric?: string; name?: string }; result: EvalTask }
  'evals.remove': { params: { id: string }; result: { removed: boolean } }
  'evals.move': { params: { id: string; position: number }; result: EvalTask[] }
  /** The dream's latest gate. */
  'evals.gate': { params: { dream_id: string }; result: Gate | null }
  'evals.gate_get': { params: { id: string }; result: Gate }
  /** An agent's recent gates and comparisons, newest first. */
  'evals.gates': { params: { name: string }; result: Gate[] }
  'evals.gate_start': { params: { dream_id: string }; result: Gate }
  'evals.gate_cancel': { params: { id: string }; result: Gate }
  /** Runs the checks on the memory as two dreams left it (dream ids). */
  'evals.compare': { params: { agent: string; before: string; after: string }; result: Gate }
}
