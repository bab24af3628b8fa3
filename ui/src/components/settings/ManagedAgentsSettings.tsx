/**
 * Settings › Claude Managed Agents: turn the bridge on or off (off by
 * default; `managed.enable` / `managed.disable`) with the Managed Agents
 * agent and environment ids uploaded sessions need and the model dreams run
 * with; whether an Anthropic key is there (source and hint, never the key);
 * a connection check (`managed.status {check: true}`); and the memory
 * stores linked to Claude with their open conflicts.
 */
import { useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { call, type ManagedBridgeStatus } from '../../api'
import { KEY_SOURCE, managedError } from '../../state/managedView'
import { plural } from '../../state/dreamView'
import { useCall } from '../../state/useCall'
import '../../styles/managed.css'
import { NoteLine } from '../NoteLine'

type Note = { ok: boolean; text: string }

/** Scrolls to the API keys section above and puts the caret in Anthropic's key field. */
function goToKeys() {
  const section = document.getElementById('keys-title')?.closest('section')
  section?.scrollIntoView({ block: 'start' })
  section?.querySelector<HTMLInputElement>('input[type="password"]')?.focus()
}

/** `refresh`: bump it to read the status again (the Anthropic key changed above). */
export function ManagedAgentsSettings({ refresh = 0 }: { refresh?: number }) {
  const ids = useId()
  const loaded = useCall('managed.status', {}, refresh)
  // The status shown: the latest answer, from a read or from an action (each
  // action answers with it, a check's with its result); kept while reading again.
  const [status, setStatus] = useState<ManagedBridgeStatus>()
  const [seen, setSeen] = useState<ManagedBridgeStatus>()
  if (loaded.status === 'ok' && loaded.data !== seen) {
    setSeen(loaded.data)
    setStatus(loaded.data)
  }
  const [draft, setDraft] = useState<{ agent_id?: string; environment_id?: string; dream_model?: string }>({})
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState<Note>()

  if (loaded.status === 'error' && !status) {
    return (
      <p className="notice notice-error" role="alert">
        {managedError(loaded.error)}
      </p>
    )
  }
  if (!status) return <p className="muted">Checking Claude Managed Agents…</p>

  const value = (field: 'agent_id' | 'environment_id' | 'dream_model') => draft[field] ?? status[field] ?? ''

  const act = async (work: () => Promise<{ status: ManagedBridgeStatus; note: Note }>) => {
    setBusy(true)
    setNote(undefined)
    try {
      const done = await work()
      setStatus(done.status)
      setDraft({})
      setNote(done.note)
    } catch (e) {
      setNote({ ok: false, text: managedError(e) })
    } finally {
      setBusy(false)
    }
  }

  const save = (event: FormEvent) => {
    event.preventDefault()
    const settings = {
      agent_id: value('agent_id').trim(),
      environment_id: value('environment_id').trim(),
      dream_model: value('dream_model').trim(),
    }
    const spaced = Object.entries(settings).find(([, v]) => /\s/.test(v))
    if (spaced) {
      setNote({ ok: false, text: `The ${LABEL[spaced[0]].toLowerCase()} cannot contain spaces: paste just the one value.` })
      return
    }
    const wasOn = status.enabled
    void act(async () => ({
      status: await call('managed.enable', settings),
      note: {
        ok: true,
        text: wasOn ? 'Claude Managed Agents settings saved.' : 'Claude Managed Agents is on. Nothing is sent until you push, pull or dream.',
      },
    }))
  }

  const turnOff = () =>
    act(async () => ({
      status: await call('managed.disable', {}),
      note: { ok: true, text: 'Claude Managed Agents is off. Links and settings are kept for when you turn it on again.' },
    }))

  const check = () =>
    act(async () => {
      const checked = await call('managed.status', { check: true })
      return {
        status: checked,
        note: checked.reachable
          ? { ok: true, text: `Connected: Claude Managed Agents answered at ${checked.base_url}.` }
          : { ok: false, text: managedError(new Error(checked.check_error ?? 'Claude Managed Agents did not answer.')) },
      }
    })

  const key = status.key
  return (
    <div className="settings-grid managed-settings">
      <p data-testid="managed-state">
        {status.enabled ? (
          <>
            <span className="managed-badge managed-badge-on">On</span> Memory stores can be pushed to Claude and dreams run
            there, from the Memory screen. Requests go to {status.base_url}.
          </>
        ) : (
          <>
            <span className="managed-badge">Off</span> Nothing is sent to Claude Managed Agents.
          </>
        )}
      </p>
      <div className="managed-key" data-testid="managed-key">
        {key.available ? (
          <p>
            Uses your Anthropic key ending in {key.hint ?? '…'}, from {KEY_SOURCE[key.source ?? ''] ?? 'the system'}.
          </p>
        ) : key.error ? (
          <p className="notice notice-error" role="alert">
            {key.error}
          </p>
        ) : (
          <p className="notice">
            No Anthropic key yet: Claude Managed Agents uses the same key as the Anthropic provider.{' '}
            <button type="button" className="managed-link" onClick={goToKeys}>
              Add it under API keys
            </button>
          </p>
        )}
      </div>
      <form className="form" onSubmit={save} aria-labelledby={`${ids}-form`}>
        <h3 id={`${ids}-form`}>Your Managed Agents setup</h3>
        <div className="field-row">
          <label className="field">
            <span>{LABEL.agent_id} (optional)</span>
            <input
              value={value('agent_id')}
              onChange={(e) => setDraft({ ...draft, agent_id: e.target.value })}
              placeholder="agent_…"
              autoComplete="off"
              spellCheck={false}
              aria-describedby={`${ids}-ids-hint`}
            />
          </label>
          <label className="field">
            <span>{LABEL.environment_id} (optional)</span>
            <input
              value={value('environment_id')}
              onChange={(e) => setDraft({ ...draft, environment_id: e.target.value })}
              placeholder="env_…"
              autoComplete="off"
              spellCheck={false}
              aria-describedby={`${ids}-ids-hint`}
            />
          </label>
        </div>
        <p id={`${ids}-ids-hint`} className="field-hint">
          Both are needed to dream on Claude: it reads your sessions as Managed Agents sessions, which belong to one of your
          agents in one of your environments. Copy them from the Claude Console. Pushing and pulling memory works without
          them.
        </p>
        <label className="field">
          <span>{LABEL.dream_model} (optional)</span>
          <input
            value={value('dream_model')}
            onChange={(e) => setDraft({ ...draft, dream_model: e.target.value })}
            placeholder="claude-sonnet-4-5"
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${ids}-model-hint`}
          />
        </label>
        <p id={`${ids}-model-hint`} className="field-hint">
          Empty: each dream uses the model of the agent whose memory it is.
        </p>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {status.enabled ? 'Save' : 'Turn on'}
          </button>
          {status.enabled && (
            <>
              <button type="button" className="button" disabled={busy} onClick={() => void check()}>
                Check connection
              </button>
              <button type="button" className="button" disabled={busy} onClick={() => void turnOff()}>
                Turn off
              </button>
            </>
          )}
        </div>
        <NoteLine note={note} okClassName="notice notice-ok" />
      </form>
      <div>
        <h3 id={`${ids}-stores`}>Memory stores on Claude</h3>
        {status.stores.length === 0 ? (
          <p className="muted">
            None yet. {status.enabled ? 'Push a store from the Memory screen to put it on Claude.' : 'Turn this on, then push a store from the Memory screen.'}
          </p>
        ) : (
          <table className="table" aria-labelledby={`${ids}-stores`}>
            <thead>
              <tr>
                <th scope="col">Memory store</th>
                <th scope="col">On Claude as</th>
                <th scope="col">Open conflicts</th>
              </tr>
            </thead>
            <tbody>
              {status.stores.map((s) => (
                <tr key={s.store_id}>
                  <th scope="row">
                    <Link to={`/memory?store=${encodeURIComponent(s.store)}`}>{s.store}</Link>
                  </th>
                  <td>
                    <code>{s.remote_store_id}</code>
                  </td>
                  <td>{s.open_conflicts === 0 ? 'None' : plural(s.open_conflicts, 'conflict')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {(status.uploaded_sessions > 0 || status.dreams.length > 0) && (
          <p className="muted small managed-totals">
            {plural(status.uploaded_sessions, 'session')} uploaded · {plural(status.dreams.length, 'dream')} run on Claude
          </p>
        )}
      </div>
    </div>
  )
}

const LABEL: Record<string, string> = {
  agent_id: 'Managed Agents agent id',
  environment_id: 'Environment id',
  dream_model: 'Dream model',
}
