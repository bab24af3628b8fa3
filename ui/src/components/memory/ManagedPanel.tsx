/**
 * The open memory store on Claude Managed Agents, shown only while the
 * bridge is on (Settings): Push and Pull with a sentence saying what moved,
 * the conflicts a sync kept both sides of (open the kept copy, mark
 * resolved), and dreams run on Claude ({@link ClaudeDream}).
 */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { call, type ManagedBridgeStatus, type ManagedConflict, type ManagedSyncReport } from '../../api'
import { formatWhen } from '../../state/memoryTree'
import { conflictSentence, managedError, syncEventLines, syncSentence } from '../../state/managedView'
import { ClaudeDream } from './ClaudeDream'
import { ErrorLine } from '../NoteLine'
import '../../styles/managed.css'

interface Props {
  store: string
  storeId: string
  /** Bump to read the bridge's state again (after a change elsewhere on the screen). */
  refresh: number
  /** Opens a document of this store in the editor. */
  onOpen: (path: string) => void
  /** Documents changed here (a pull, a conflict copy): the list and the open document reload. */
  onChanged: () => void
}

export function ManagedPanel({ store, storeId, refresh, onOpen, onChanged }: Props) {
  const ids = useId()
  const [status, setStatus] = useState<ManagedBridgeStatus>()
  const [conflicts, setConflicts] = useState<ManagedConflict[]>([])
  const [report, setReport] = useState<ManagedSyncReport>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState<'push' | 'pull' | 'resolve'>()
  const [remoteId, setRemoteId] = useState('')
  const [reload, setReload] = useState(0)

  useEffect(() => {
    let live = true
    Promise.all([call('managed.status', {}), call('managed.conflicts', { store })]).then(
      ([s, c]) => {
        if (!live) return
        setStatus(s)
        setConflicts(c)
      },
      // An engine without the bridge, or a store gone: the panel stays hidden.
      () => live && setStatus(undefined),
    )
    return () => {
      live = false
    }
  }, [store, refresh, reload])

  const again = useCallback(() => setReload((n) => n + 1), [])

  if (!status?.enabled) return null
  const link = status.stores.find((s) => s.store_id === storeId)

  const sync = async (direction: 'push' | 'pull', remote?: string) => {
    setBusy(direction)
    setError(undefined)
    setReport(undefined)
    try {
      const done = await call(direction === 'push' ? 'managed.push' : 'managed.pull', remote ? { store, remote } : { store })
      setReport(done)
      setConflicts(done.open_conflicts)
      setRemoteId('')
      // A pull writes documents here; a push's conflicts may keep Claude's text here too.
      if (done.events.some((e) => e.event !== 'pushed' && e.event !== 'removed_remote')) onChanged()
      again()
    } catch (e) {
      setError(managedError(e))
    } finally {
      setBusy(undefined)
    }
  }

  const resolve = async (conflict: ManagedConflict) => {
    setBusy('resolve')
    setError(undefined)
    try {
      await call('managed.resolve_conflict', { id: conflict.id })
      setConflicts((now) => now.filter((c) => c.id !== conflict.id))
      again()
    } catch (e) {
      setError(managedError(e))
    } finally {
      setBusy(undefined)
    }
  }

  const pullTeammate = (event: FormEvent) => {
    event.preventDefault()
    const id = remoteId.trim()
    if (!id) return
    if (!/^[A-Za-z0-9_-]+$/.test(id)) {
      setError('That is not a Managed Agents store id: copy one like memstore_01… from the Claude Console.')
      return
    }
    void sync('pull', id)
  }

  const working = busy === 'push' ? 'Pushing to Claude…' : busy === 'pull' ? 'Pulling from Claude…' : undefined
  return (
    <section className="panel managed" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Claude Managed Agents</h2>
      <p className="small" data-testid="managed-link">
        {link
          ? `On Claude as ${link.remote_store_id}. Push sends the changes made here; Pull brings the changes made there.`
          : 'Not on Claude yet. Push puts a copy of this store there, for your team and for dreams on Claude.'}
      </p>
      {!status.key.available && (
        <p className="notice">
          Pushing, pulling and dreaming need your Anthropic key: <Link to="/settings">add it in Settings</Link>.
        </p>
      )}
      <div className="managed-actions">
        <button type="button" className="button button-small button-primary" disabled={Boolean(busy)} onClick={() => void sync('push')}>
          Push
        </button>
        {link && (
          <button type="button" className="button button-small" disabled={Boolean(busy)} onClick={() => void sync('pull')}>
            Pull
          </button>
        )}
        {working && (
          <span className="muted small" role="status">
            {working}
          </span>
        )}
      </div>
      {!link && (
        <form className="inline-form" onSubmit={pullTeammate} aria-label="Pull a teammate’s store">
          <label className="field">
            <span>Or pull a teammate’s store into this one</span>
            <input
              value={remoteId}
              onChange={(e) => setRemoteId(e.target.value)}
              placeholder="memstore_…"
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <button type="submit" className="button button-small" disabled={Boolean(busy) || !remoteId.trim()}>
            Pull it here
          </button>
        </form>
      )}
      {report && (
        <div className="notice notice-ok managed-report" role="status">
          <p>{syncSentence(report)}</p>
          {report.events.length > 0 && (
            <details>
              <summary>What moved</summary>
              <ul>
                {syncEventLines(report).map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
      <ErrorLine text={error} />
      {conflicts.length > 0 && (
        <div className="managed-conflicts">
          <h3 id={`${ids}-conflicts`}>Conflicts to look at</h3>
          <p className="small muted">
            Nothing was lost. Compare the two versions, keep what you want, then mark the conflict resolved; until then Push
            leaves that document alone on Claude.
          </p>
          <ul className="list" aria-labelledby={`${ids}-conflicts`}>
            {conflicts.map((c) => (
              <li key={c.id} className="list-row">
                <div className="managed-conflict-text">
                  <span className="list-title">{c.path}</span>{' '}
                  <span className="list-meta">
                    {conflictSentence(c)} · {formatWhen(c.detected_at)}
                  </span>
                </div>
                <div className="managed-conflict-actions">
                  {c.conflict_path ? (
                    <>
                      <button type="button" className="button button-small" onClick={() => onOpen(c.conflict_path as string)}>
                        Open Claude’s version
                      </button>
                      <button type="button" className="button button-small" onClick={() => onOpen(c.path)}>
                        Open this version
                      </button>
                    </>
                  ) : (
                    <button type="button" className="button button-small" onClick={() => onOpen(c.path)}>
                      Open document
                    </button>
                  )}
                  <button type="button" className="button button-small" disabled={Boolean(busy)} onClick={() => void resolve(c)}>
                    Mark resolved
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
      <ClaudeDream key={storeId} store={store} storeId={storeId} status={status} onSynced={again} />
    </section>
  )
}
