/** Rubrics: stored rubric documents, their validation and the rubric builder's tests. */
import type { ProviderKind } from './agents'

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

/** How steadily the grader judges one criterion over k gradings of one output. */
export interface CriterionCalibration {
  criterion_index: number
  name: string
  runs: number
  /** 0..1: the share of verdicts agreeing with the majority. */
  agreement: number
  passed: number
  score_min: number
  score_max: number
  /** Standard deviation of the scores. */
  score_spread: number
  stable: boolean
  advice: string | null
}

export interface Calibration {
  rubric: string
  session_id: string
  k: number
  threshold: number
  criteria: CriterionCalibration[]
  cost_usd: number
}

/** The `rubrics.*` methods: what each takes and returns. */
export interface RubricsMethods {
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
    params: {
      session_id: string
      document?: string
      rubric?: string
      grader_model?: string
      grader_provider?: ProviderKind
    }
    result: { grade: Grade; passed: boolean }
  }
  'rubrics.calibrate': { params: { rubric: string; session_id: string; k?: number }; result: Calibration }
}
