/**
 * Outcomes: a session graded against a rubric, iteration by iteration, and
 * their figures per day, agent and rubric.
 */

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

export type OutcomeFilter = 'ungraded' | 'graded' | OutcomeResult

/** One criterion's verdict on one iteration, as recorded. */
export interface StoredVerdict {
  iteration: number
  criterion_index: number
  criterion_name: string
  passed: boolean
  score: number
  evidence: string
  gap: string
}

/** A criterion's figures within a stats row. */
export interface CriterionStats {
  criterion_index: number
  name: string
  mean_score: number
  pass_rate: number
}

/** Finished outcomes of one agent and rubric, on one day (or in total). */
export interface OutcomeStatsRow {
  day: string
  rubric: string
  agent: string
  runs: number
  satisfied: number
  interrupted: number
  pass_rate: number | null
  mean_iterations_to_pass: number | null
  mean_score: number | null
  criteria: CriterionStats[]
}

export interface OutcomeStats {
  days: OutcomeStatsRow[]
  totals: OutcomeStatsRow[]
}

/** One day of one agent and rubric, for the pass-rate chart. */
export interface SeriesPoint {
  day: string
  runs: number
  pass_rate: number | null
  mean_score: number | null
  mean_attempts: number | null
  session_ids: string[]
}

export interface Series {
  agent: string
  rubric: string
  points: SeriesPoint[]
}

/** When a dream's changes were applied to (or taken out of) an agent's memory. */
export interface SeriesMarker {
  at: string
  agent: string
  dream_id: string
  kind: 'applied' | 'reverted'
}

/** The `outcomes.*` methods: what each takes and returns. */
export interface OutcomesMethods {
  'outcomes.stats': { params: { agent?: string; rubric?: string; since?: string }; result: OutcomeStats }
  'outcomes.for_session': {
    params: { id: string }
    result: { outcome: Outcome; verdicts: StoredVerdict[] }[]
  }
  'outcomes.series': {
    params: { agent?: string; rubric?: string; since?: string; bucket?: 'day' | 'week' }
    result: { series: Series[]; markers: SeriesMarker[] }
  }
}
