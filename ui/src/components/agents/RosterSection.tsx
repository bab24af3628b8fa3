/**
 * A lead agent's roster: the agents it may hand parts of a job to
 * (`agents.roster`, `roster_add`, `roster_remove`). A non-empty roster is
 * what turns delegation on. Changes apply at once.
 */
import { useId, useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { ApiError, call, type Agent } from '../../api'
import { useCall } from '../../state/useCall'

const MAX_ROSTER = 20

export function RosterSection({ agent }: { agent: Agent }) {
  const ids = useId()
  const [refresh, setRefresh] = useState(0)
  const roster = useCall('agents.roster', { name: agent.name }, refresh)
  const agents = useCall('agents.list', {})
  const [pick, setPick] = useState('')
  const [note, setNote] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState(false)

  const members = roster.status === 'ok' ? roster.data : []
  const onRoster = new Set(members.map((m) => m.id))
  const candidates =
    agents.status === 'ok' ? agents.data.filter((a) => a.id !== agent.id && !onRoster.has(a.id)) : []
  const chosen = pick && candidates.some((a) => a.name === pick) ? pick : (candidates[0]?.name ?? '')

  const change = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true)
    setNote(undefined)
    try {
      await work()
      setNote({ ok: true, text: done })
      setRefresh((n) => n + 1)
    } catch (e) {
      setNote({ ok: false, text: e instanceof ApiError ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }

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
          <label className="field">
            <span>Add a subagent</span>
            <select value={chosen} onChange={(e) => setPick(e.target.value)}>
              {candidates.map((a) => (
                <option key={a.id} value={a.name}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button" disabled={busy || members.length >= MAX_ROSTER}>
            Add
          </button>
        </form>
      )}
      {note && (
        <p className={note.ok ? 'field-hint' : 'notice notice-error'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
      )}
    </section>
  )
}
