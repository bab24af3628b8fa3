/** Running an agent on a task, which records a session. */
import type { ProviderKind } from './agents'

/** What `run.start` takes: the agent, the task, and how to grade it. */
export interface RunStart {
  agent: string
  task: string
  /** Grade against this rubric (name or id); else the agent's default rubric, if any. */
  rubric?: string
  /** At most this many attempts before the grader gives up. */
  max_iterations?: number
  grader_model?: string
  grader_provider?: ProviderKind
  /** Run ungraded even if the agent has a default rubric. */
  no_rubric?: boolean
}

/** The `run.*` methods: what each takes and returns. */
export interface RunMethods {
  'run.start': { params: RunStart; result: { session_id: string } }
  'run.cancel': { params: { id: string }; result: { canceled: boolean } }
}
