/**
 * The memory stores an agent's sessions mount: its own store (always
 * attached, read-write) and any shared ones, each read-only or read-write.
 * Attach, change access and detach apply at once (`agents.attach_store`,
 * `agents.detach_store`); the store itself is never deleted here.
 */
import { useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { call, type Agent, type AttachedStore } from '../../api'
import { useAction } from '../../state/useAction'
import { useCall } from '../../state/useCall'
import { usePick } from '../../state/usePick'
import { NameSelect } from '../NameSelect'
import { NoteLine } from '../NoteLine'

const MAX_STORES = 8
const ACCESS: Record<AttachedStore['access'], string> = { read_write: 'Read and write', read_only: 'Read only' }

export function StoresSection({ agent, onChange }: { agent: Agent; onChange: (agent: Agent) => void }) {
  const ids = useId()
  const stores = useCall('memory.stores', {}, agent.stores.length)
  const [access, setAccess] = useState<AttachedStore['access']>('read_only')
  const { busy, note, run } = useAction()
  const act = (work: () => Promise<Agent>, done: string) => run(work, done, onChange)

  const attached = new Set(agent.stores.map((s) => s.store_id))
  const available = stores.status === 'ok' ? stores.data.filter((s) => !attached.has(s.id)) : []
  const [chosen, setPick] = usePick(available.map((s) => s.name))

  const attach = (event: FormEvent) => {
    event.preventDefault()
    if (!chosen) return
    void act(
      () => call('agents.attach_store', { agent: agent.name, store: chosen, access }),
      `Attached ${chosen} (${ACCESS[access].toLowerCase()}).`,
    )
  }

  return (
    <section className="editor-section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Memory stores</h2>
      <p className="muted">
        What {agent.name} remembers between sessions. Its own store is always attached; share others to give it
        what a team knows (up to {MAX_STORES}).
      </p>
      <ul className="list" aria-label="Attached memory stores">
        {agent.stores.map((s) => {
          const own = s.store_name === agent.name
          return (
            <li key={s.store_id} className="list-row store-row">
              <span className="agent-row-main">
                <Link className="list-title" to={`/memory?store=${encodeURIComponent(s.store_name)}`}>
                  {s.store_name}
                </Link>
                {own && <span className="list-meta">{agent.name}’s own memory</span>}
              </span>
              {own ? (
                <span className="list-meta">Read and write</span>
              ) : (
                <span className="store-row-actions">
                  <label className="visually-hidden" htmlFor={`${ids}-${s.store_id}`}>
                    Access to {s.store_name}
                  </label>
                  <select
                    id={`${ids}-${s.store_id}`}
                    className="select-small"
                    value={s.access}
                    disabled={busy}
                    onChange={(e) => {
                      const next = e.target.value as AttachedStore['access']
                      void act(
                        () => call('agents.attach_store', { agent: agent.name, store: s.store_name, access: next }),
                        `${s.store_name} is now ${ACCESS[next].toLowerCase()}.`,
                      )
                    }}
                  >
                    <option value="read_write">Read and write</option>
                    <option value="read_only">Read only</option>
                  </select>
                  <button
                    type="button"
                    className="button button-small"
                    disabled={busy}
                    aria-label={`Detach ${s.store_name}`}
                    onClick={() =>
                      void act(
                        () => call('agents.detach_store', { agent: agent.name, store: s.store_name }),
                        `Detached ${s.store_name}. The store and its documents are kept.`,
                      )
                    }
                  >
                    Detach
                  </button>
                </span>
              )}
            </li>
          )
        })}
      </ul>
      {stores.status === 'ok' && available.length === 0 && (
        <p className="muted small">
          No other stores to attach. Create a shared store in <Link to="/memory">Memory</Link>.
        </p>
      )}
      {available.length > 0 && (
        <form className="inline-form" onSubmit={attach} aria-label="Attach a memory store">
          <NameSelect label="Attach a store" names={available.map((s) => s.name)} value={chosen} onChange={setPick} />
          <label className="field field-narrow">
            <span>Access</span>
            <select value={access} onChange={(e) => setAccess(e.target.value as AttachedStore['access'])}>
              <option value="read_only">Read only</option>
              <option value="read_write">Read and write</option>
            </select>
          </label>
          <button type="submit" className="button" disabled={busy || agent.stores.length >= MAX_STORES}>
            Attach
          </button>
        </form>
      )}
      <NoteLine note={note} />
    </section>
  )
}
