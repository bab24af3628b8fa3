/**
 * The rubric builder's past-session picker: finished sessions, newest
 * first, named by agent, task and start time. Shared by "Try it on a past
 * output" and "Check the grader".
 */
import type { SessionOverview } from '../../api'
import { firstLine } from '../../state/timeline'

export function PastSessionSelect({ id, sessions, value, onChange }: { id: string; sessions: SessionOverview[]; value: string; onChange: (id: string) => void }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      {sessions.map((s) => (
        <option key={s.id} value={s.id}>
          {s.agent_name}: {firstLine(s.task, 70)} ({new Date(s.started_at).toLocaleString()})
        </option>
      ))}
    </select>
  )
}
