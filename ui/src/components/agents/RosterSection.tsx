/**
 * A lead agent's roster: the agents it may hand parts of a job to
 * (`agents.roster`, `roster_add`, `roster_remove`). A non-empty roster is
 * what turns delegation on. Changes apply at once.
 */
import { useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { call, type Agent } from '../../api'
import { useAction } from '../../state/useAction'
import { useCall } from '../../state/useCall'
import { usePick } from '../../state/usePick'
import { NameSelect } from '../NameSelect'
import { NoteLine } from '../NoteLine'

const MAX_ROSTER = 20

export function RosterSection({ agent }: { agent: Agent }) {
  const ids = useId()
  const [refresh, setRefresh] = useState(0)
  const roster = useCall('agents.roster', { name: agent.name }, refresh)
  const agents = useCall('agents.list', {})
  const { busy, note, run } = useAction()

  const members = roster.status === 'ok' ? roster.data : []
  const onRoster = new Set(members.map((m) => m.id))
  const candidates =
    agents.status === 'ok' ? agents.data.filter((a) => a.id !== agent.id && !onRoster.has(a.id)) : []
  const [chosen, setPick] = usePick(candidates.map((a) => a.name))

  const change = (work: () => Promise<unknown>, done: string) => run(work, done, () => setRefresh((n) => n + 1))

  const add = (event: FormEvent) => {
    event.preventDefault()
    if (!chosen) return
    void change(() => call('agents.roster_add', { lead: agent.name, member: chosen }), `${chosen} is on the roster.`)
  }

  return (
    <section className="editor-section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Subagents</h2>
      <p className="muted">
        With agents on its roster, {agent.name} can split a job and hand pieces to them; they work in parallel and
        report back. Up to {MAX_ROSTER}.
      </p>
      {roster.status === 'error' && (
        <p className="notice notice-error" role="alert">
          {roster.error.message}
        </p>
      )}
      {roster.status === 'ok' && members.length === 0 && (
        <p className="muted small" data-testid="roster-empty">
          No subagents: {agent.name} does every job itself.
        </p>
      )}
      {members.length > 0 && (
        <ul className="list" aria-label="Subagents">
          {members.map((m) => (
            <li key={m.id} className="list-row">
              <span className="agent-row-main">
                <Link className="list-title" to={`/agents/${encodeURIComponent(m.name)}`}>
                  {m.name}
                </Link>
                <span className="list-meta">{m.model}</span>
              </span>
              <button
                type="button"
                className="button button-small"
                disabled={busy}
                aria-label={`Remove ${m.name} from the roster`}
                onClick={() =>
                  void change(
                    () => call('agents.roster_remove', { lead: agent.name, member: m.name }),
                    `${m.name} left the roster.`,
                  )
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {agents.status === 'ok' && candidates.length === 0 && members.length === 0 && (
        <p className="muted small">Create another agent first; then add it here.</p>
      )}
      {candidates.length > 0 && (
        <form className="inline-form" onSubmit={add} aria-label="Add a subagent">
          <NameSelect label="Add a subagent" names={candidates.map((a) => a.name)} value={chosen} onChange={setPick} />
          <button type="submit" className="button" disabled={busy || members.length >= MAX_ROSTER}>
            Add
          </button>
        </form>
      )}
      <NoteLine note={note} />
    </section>
  )
}
