/**
 * Mirror a memory store to a plain folder: edits made there in any editor
 * come back as versions, and the store's changes are written out. Shows
 * whether it runs, where, and the conflicts the mirror kept both sides of.
 */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import { ApiError, call, type MirrorStatus } from '../../api'
import { formatWhen } from '../../state/memoryTree'
import { ErrorLine } from '../NoteLine'

const KIND: Record<string, string> = {
  both_changed: 'changed in both places; the folder’s text was kept as',
  deleted_in_store: 'deleted here but edited in the folder; the folder’s text was imported again',
  deleted_in_folder: 'deleted in the folder but changed here; this text was written out again',
}

export function MirrorPanel({ store, refresh }: { store: string; refresh: number }) {
  const ids = useId()
  const [status, setStatus] = useState<MirrorStatus>()
  const [dir, setDir] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const load = useCallback(() => {
    call('memory.mirror_status', { store }).then(
      (s) => {
        setStatus(s)
        if (s.dir) setDir(s.dir)
      },
      (e) => setError(e instanceof ApiError ? e.message : String(e)),
    )
  }, [store])

  useEffect(load, [load, refresh])

  const run = async (what: () => Promise<unknown>) => {
    setBusy(true)
    setError(undefined)
    try {
      await what()
      load()
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  const enable = (event: FormEvent) => {
    event.preventDefault()
    void run(() => call('memory.mirror_enable', { store, dir: dir.trim() }))
  }

  const state = !status
    ? 'Checking…'
    : status.running
      ? `Mirroring to ${status.dir}. Edits in that folder become versions here within a second or two.`
      : status.dir
        ? `Set to mirror to ${status.dir}, but not running in this window. Start it again below.`
        : 'Not mirrored. Give a folder to keep a plain copy of these documents that any editor can change.'

  return (
    <section className="mirror panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Folder mirror</h2>
      <p className="small" role="status">
        {state}
      </p>
      <form className="inline-form" onSubmit={enable}>
        <label className="field">
          <span>Folder</span>
          <input value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/home/you/Documents/agent-memory" spellCheck={false} />
        </label>
        <button type="submit" className="button button-small button-primary" disabled={busy || !dir.trim()}>
          {status?.running ? 'Mirror here instead' : 'Start mirroring'}
        </button>
        {status?.dir && (
          <button type="button" className="button button-small" disabled={busy} onClick={() => void run(() => call('memory.mirror_disable', { store }))}>
            Stop mirroring
          </button>
        )}
      </form>
      <ErrorLine text={error} />
      {status?.conflicts && status.conflicts.length > 0 && (
        <ul className="list mirror-conflicts" aria-label="Mirror conflicts">
          {status.conflicts.map((c) => (
            <li key={c.id} className="list-row">
              <span className="list-title">{c.path}</span>
              <span className="list-meta">
                {KIND[c.kind]} {c.conflict_path ?? ''} · {formatWhen(c.detected_at)}
              </span>
              <button type="button" className="button button-small" onClick={() => void run(() => call('memory.mirror_resolve', { id: c.id }))}>
                Mark resolved
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
