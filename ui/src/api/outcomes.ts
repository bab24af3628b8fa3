/**
 * Outcomes: a session graded against a rubric, iteration by iteration. The Sessions screens read them through `sessions.*`.
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
