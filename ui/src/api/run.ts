/** Running an agent on a task, which records a session. */

/** The `run.*` methods: what each takes and returns. */
export interface RunMethods {
  'run.start': { params: { agent: string; task: string }; result: { session_id: string } }
  'run.cancel': { params: { id: string }; result: { canceled: boolean } }
}
