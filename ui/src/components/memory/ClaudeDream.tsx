/**
 * "Dream on Claude" for the open memory store: start a dream on Claude
 * Managed Agents (`managed.dream_start`: the engine pushes the store and
 * uploads the agent's sessions since its last dream), follow it (its status
 * asked every few seconds while it is pending or running, with Cancel), and
 * once it has completed bring it back as a Reverie dream to review on the
 * Dreams screen (a failed or canceled one shows why, and can be recorded in
 * Dreams too). Also lists this store's earlier dreams on Claude.
 */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import {
  call,
  type ManagedBridgeStatus,
  type ManagedDreamRecord,
  type ManagedImportedDream,
  type RemoteDreamInfo,
} from '../../api'
import { plural } from '../../state/dreamView'
import { formatWhen } from '../../state/memoryTree'
import { DREAM_POLL_MS, dreamGoing, managedError, remoteDreamSentence } from '../../state/managedView'
import { ErrorLine } from '../NoteLine'

interface Props {
  store: string
  storeId: string
  status: ManagedBridgeStatus
  /** The dream's start pushed the store: the panel reads its link and conflicts again. */
  onSynced: () => void
  /** Milliseconds between two status asks (tests use a short one). */
  pollMs?: number
}

/** The dream the card shows: its id, and once asked, what Claude says of it. */
interface Current {
  id: string
  remote?: RemoteDreamInfo
  imported?: ManagedImportedDream
  /** How many times its status was asked for; each answer arms the next ask. */
  asked: number
}

const reviewLink = (dreamId: string) => `/dreams?dream=${encodeURIComponent(dreamId)}`

export function ClaudeDream({ store, storeId, status, onSynced, pollMs = DREAM_POLL_MS }: Props) {
  const ids = useId()
  const [records, setRecords] = useState<ManagedDreamRecord[]>()
  const [current, setCurrent] = useState<Current>()
  const [instructions, setInstructions] = useState('')
  const [busy, setBusy] = useState<'start' | 'cancel' | 'import'>()
  const [note, setNote] = useState<string>()
  const [error, setError] = useState<string>()
  const [listRefresh, setListRefresh] = useState(0)

  useEffect(() => {
    let live = true
    call('managed.dreams', {}).then(
      (all) => {
        if (!live) return
        const mine = all.filter((r) => r.local_store_id === storeId)
        setRecords(mine)
        // On arrival, follow the newest dream if it has not been brought back yet.
        setCurrent((now) => {
          if (now) return now
          const newest = mine[0]
          return newest && !newest.imported_dream_id ? { id: newest.remote_dream_id, asked: 0 } : undefined
        })
      },
      (e) => live && setError(managedError(e)),
    )
    return () => {
      live = false
    }
  }, [storeId, listRefresh])

  // Ask Claude where the dream stands: at once, then every few seconds while it goes on.
  const currentId = current?.id
  const currentStatus = current?.remote?.status
  const asked = current?.asked ?? 0
  useEffect(() => {
    if (!currentId || (currentStatus && !dreamGoing(currentStatus))) return
    let live = true
    const timer = setTimeout(
      () => {
        call('managed.dream_status', { id: currentId }).then(
          (answer) => {
            if (!live) return
            setCurrent((now) => (now?.id === currentId ? { ...now, remote: answer.remote, asked: now.asked + 1 } : now))
            setError(undefined)
          },
          // Shown, and asked again on the next tick (a dropped connection heals).
          (e) => {
            if (!live) return
            setError(managedError(e))
            setCurrent((now) => (now?.id === currentId ? { ...now, asked: now.asked + 1 } : now))
          },
        )
      },
      asked === 0 ? 0 : pollMs,
    )
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [currentId, currentStatus, asked, pollMs])

  const record = records?.find((r) => r.remote_dream_id === current?.id)
  const importedId = current?.imported?.dream.id ?? record?.imported_dream_id ?? undefined
  const going = current?.remote ? dreamGoing(current.remote.status) : Boolean(current && !importedId)
  const missing = !status.agent_id || !status.environment_id

  const start = async (event: FormEvent) => {
    event.preventDefault()
    setBusy('start')
    setError(undefined)
    setNote(undefined)
    try {
      const text = instructions.trim()
      const started = await call('managed.dream_start', text ? { store, instructions: text } : { store })
      setCurrent({ id: started.remote.id, remote: started.remote, asked: 1 })
      const uploaded = started.upload.sessions.filter((s) => s.uploaded).length
      setNote(
        `Started on Claude with ${plural(started.record.session_ids.length, 'session')}${
          uploaded > 0 ? ` (${uploaded} uploaded now)` : ''
        }, using ${started.record.model}.`,
      )
      setInstructions('')
      setListRefresh((n) => n + 1)
      onSynced()
    } catch (e) {
      setError(managedError(e))
    } finally {
      setBusy(undefined)
    }
  }

  const act = useCallback(
    async (what: 'cancel' | 'import') => {
      if (!currentId) return
      setBusy(what)
      setError(undefined)
      try {
        if (what === 'cancel') {
          const answer = await call('managed.dream_cancel', { id: currentId })
          setCurrent((now) => (now?.id === currentId ? { ...now, remote: answer.remote } : now))
        } else {
          const imported = await call('managed.dream_import', { id: currentId })
          setCurrent((now) => (now?.id === currentId ? { ...now, remote: imported.remote, imported } : now))
          setListRefresh((n) => n + 1)
        }
      } catch (e) {
        setError(managedError(e))
      } finally {
        setBusy(undefined)
      }
    },
    [currentId],
  )

  const imported = current?.imported
  return (
    <div className="managed-dream" role="group" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`}>Dream on Claude</h3>
      <p className="small muted">
        Claude reads this memory and its agent’s sessions since the last dream, and proposes changes. They come back here
        for you to review; nothing changes until you accept them.
      </p>
      {missing ? (
        <p className="notice">
          Dreaming on Claude needs your Managed Agents agent id and environment id:{' '}
          <Link to="/settings">add them in Settings</Link>.
        </p>
      ) : (
        <form className="inline-form" onSubmit={(e) => void start(e)} aria-label="Dream on Claude">
          <label className="field">
            <span>Instructions (optional)</span>
            <input
              value={instructions}
              onChange={(e) => setInstructions(e.target.value)}
              placeholder="Focus on the user’s preferences"
              maxLength={4096}
            />
          </label>
          <button type="submit" className="button button-small button-primary" disabled={Boolean(busy) || going}>
            Dream on Claude
          </button>
        </form>
      )}
      {busy === 'start' && (
        <p className="muted small" role="status">
          Pushing this memory and uploading sessions to Claude…
        </p>
      )}
      {note && !busy && (
        <p className="small" role="status">
          {note}
        </p>
      )}
      <ErrorLine text={error} />
      {current && (
        <div className="managed-dream-card" data-testid="claude-dream">
          <p className="managed-dream-head">
            <strong>{current.id}</strong>
            {current.remote && (
              <span className="muted small">
                {' '}
                · {current.remote.model.id} · started {formatWhen(current.remote.created_at)}
              </span>
            )}
          </p>
          <p role="status" aria-live="polite">
            {imported || importedId
              ? imported && imported.dream.status !== 'completed'
                ? `Recorded in Dreams as ${imported.dream.status}.`
                : `Brought back for review${imported ? `: ${plural(imported.edits.length, 'proposed change')}` : ''}.${
                    imported && imported.blocked.length > 0
                      ? ` ${plural(imported.blocked.length, 'change')} could not be taken (${imported.blocked[0].reason}).`
                      : ''
                  }`
              : current.remote
                ? remoteDreamSentence(current.remote)
                : 'Asking Claude…'}
          </p>
          <div className="managed-actions">
            {current.remote && dreamGoing(current.remote.status) && (
              <button type="button" className="button button-small" disabled={Boolean(busy)} onClick={() => void act('cancel')}>
                Cancel dream
              </button>
            )}
            {current.remote?.status === 'completed' && !importedId && (
              <button
                type="button"
                className="button button-small button-primary"
                disabled={Boolean(busy)}
                onClick={() => void act('import')}
              >
                {busy === 'import' ? 'Bringing it back…' : 'Bring it back for review'}
              </button>
            )}
            {(current.remote?.status === 'failed' || current.remote?.status === 'canceled') && !importedId && (
              <button type="button" className="button button-small" disabled={Boolean(busy)} onClick={() => void act('import')}>
                Record it in Dreams
              </button>
            )}
            {importedId && (
              <Link to={reviewLink(importedId)}>
                {current.remote && current.remote.status !== 'completed' ? 'Open it in Dreams' : 'Review it in Dreams'}
              </Link>
            )}
          </div>
        </div>
      )}
      {records && records.length > 0 && (
        <details className="managed-history">
          <summary>Earlier dreams on Claude ({records.length})</summary>
          <ul className="list" aria-label="Earlier dreams on Claude">
            {records.slice(0, 20).map((r) => (
              <li key={r.remote_dream_id} className="list-row" aria-current={r.remote_dream_id === current?.id ? 'true' : undefined}>
                <span>
                  <span className="list-title">{formatWhen(r.started_at)}</span>{' '}
                  <span className="list-meta">
                    {r.model} · {plural(r.session_ids.length, 'session')}
                    {r.instructions ? ` · “${r.instructions}”` : ''}
                  </span>
                </span>
                {r.imported_dream_id ? (
                  <Link to={reviewLink(r.imported_dream_id)}>Open in Dreams</Link>
                ) : (
                  <button
                    type="button"
                    className="button button-small"
                    disabled={r.remote_dream_id === current?.id}
                    onClick={() => {
                      setError(undefined)
                      setCurrent({ id: r.remote_dream_id, asked: 0 })
                    }}
                  >
                    Show status
                  </button>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}
