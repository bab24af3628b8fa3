/** Dream schedules: checking a schedule expression. */

/** The `schedule.*` methods: what each takes and returns. */
export interface ScheduleMethods {
  'schedule.validate': { params: { schedule: string }; result: { valid: boolean; next: string | null } }
}
