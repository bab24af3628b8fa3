/**
 * A document's versions, newest first (who wrote each, why, when, how big),
 * a side-by-side diff of the chosen one against the text in the editor, and
 * Restore, which makes the chosen text a new version (history is never
 * rewritten).
 */
import { useEffect, useId, useState } from 'react'
import { ApiError, call, type DocumentVersion } from '../../api'
import { AUTHOR_LABEL, formatSize, formatWhen } from '../../state/memoryTree'
import { DiffTable } from './DiffTable'
import { ErrorLine } from '../NoteLine'

interface VersionHistoryProps {
  store: string
  path: string
  current: string
  dirty: boolean
  onRestored: () => void | Promise<void>
}

const OP_WORD: Record<DocumentVersion['op'], string> = {
  create: 'Created',
  update: 'Edited',
  delete: 'Deleted',
  rename: 'Renamed',
  restore: 'Restored',
}

export function VersionHistory({ store, path, current, dirty, onRestored }: VersionHistoryProps) {
  const ids = useId()
  const [versions, setVersions] = useState<DocumentVersion[]>()
  const [chosen, setChosen] = useState<number>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [confirmRedact, setConfirmRedact] = useState(false)
  const [reloads, setReloads] = useState(0)

  useEffect(() => {
    let live = true
    call('memory.history', { store, path }).then(
      (list) => {
        if (!live) return
        const newest = [...list].reverse()
        setVersions(newest)
        // The version before the current one is the usual question: "what changed?"
        setChosen((now) => now ?? newest[1]?.seq ?? newest[0]?.seq)
      },
      (e) => live && setError(e instanceof ApiError ? e.message : String(e)),
    )
    return () => {
      live = false
    }
  }, [store, path, reloads])

  const version = versions?.find((v) => v.seq === chosen)
  const head = versions?.[0]

  const restore = async () => {
    if (!version) return
    setBusy(true)
    setError(undefined)
    try {
      await call('memory.restore', { store, path, version: version.seq })
      await onRestored()
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  const redact = async () => {
    if (!version) return
    setBusy(true)
    setError(undefined)
    try {
      await call('memory.redact', { id: version.id })
      setConfirmRedact(false)
      setReloads((n) => n + 1)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="history" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`}>History</h3>
      <ErrorLine text={error} />
      {!versions && !error && <p className="muted">Loading versions…</p>}
      {versions && (
        <div className="history-grid">
          <fieldset className="version-list">
            <legend className="visually-hidden">Versions of {path}</legend>
            {versions.map((v) => (
              <label key={v.id} className="version-row">
                <input type="radio" name={`${ids}-version`} checked={chosen === v.seq} onChange={() => setChosen(v.seq)} />
                <span className="version-main">
                  <span className="version-title">
                    Version {v.seq} · {OP_WORD[v.op]} by {AUTHOR_LABEL[v.author] ?? v.author}
                    {v === head && ' (current)'}
                  </span>
                  <span className="version-meta">
                    {formatWhen(v.created_at)} · {formatSize(v.size)}
                    {v.reason && ` · ${v.reason}`}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="version-detail">
            {version && version.content === null && (
              <p className="muted">
                {version.redacted_at ? 'This version was redacted; its text is gone.' : 'This version records a deletion; it has no text.'}
              </p>
            )}
            {version && version.content !== null && (
              <>
                <DiffTable
                  before={version.content}
                  after={current}
                  beforeLabel={`Version ${version.seq}`}
                  afterLabel={dirty ? 'Your text (unsaved)' : 'Current text'}
                  caption={`Version ${version.seq} against the current text`}
                />
                <div className="actions">
                  <button
                    type="button"
                    className="button button-small button-primary"
                    onClick={() => void restore()}
                    disabled={busy || dirty || version === head}
                    aria-describedby={`${ids}-restore-hint`}
                  >
                    Restore version {version.seq}
                  </button>
                  <span className="muted small" id={`${ids}-restore-hint`}>
                    {dirty
                      ? 'Save or undo your changes first.'
                      : version === head
                        ? 'This is the current version.'
                        : 'Restoring adds a new version; nothing is lost.'}
                  </span>
                  {version !== head && !confirmRedact && (
                    <button type="button" className="button button-small button-danger" onClick={() => setConfirmRedact(true)}>
                      Redact…
                    </button>
                  )}
                </div>
                {version !== head && confirmRedact && (
                  <div className="confirm" role="alertdialog" aria-labelledby={`${ids}-redact`} aria-modal="false">
                    <p id={`${ids}-redact`}>
                      Erase the text of version {version.seq} for good? Do this when it holds something sensitive, like a
                      password. The version stays listed, without its text.
                    </p>
                    <div className="actions">
                      <button type="button" className="button button-danger button-small" onClick={() => void redact()} disabled={busy} autoFocus>
                        Erase version {version.seq}
                      </button>
                      <button type="button" className="button button-small" onClick={() => setConfirmRedact(false)}>
                        Keep it
                      </button>
                    </div>
                  </div>
                )}
              </>
            )}
          </div>
        </div>
      )}
    </section>
  )
}
