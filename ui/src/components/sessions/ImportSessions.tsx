/**
 * Sessions › Import: brings past sessions from other tools into an agent
 * (`sessions.import`). The engine reads the file from its path and streams
 * it, so a large log never passes through the window: in the app the native
 * chooser gives the path; in a browser the user types it. Reports what was
 * imported, what was already there, and each malformed record with where it
 * is.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { ApiError, call, chooseFile, subscribe, transport, type ImportFormat, type ImportSummary } from '../../api'
import { useCall } from '../../state/useCall'
import { describeImport } from '../../state/imports'
import { Options } from '../Options'
import { ErrorLine } from '../NoteLine'

const FORMATS: { value: ImportFormat | 'auto'; label: string }[] = [
  { value: 'auto', label: 'Detect from the file' },
  { value: 'anthropic', label: 'Anthropic Messages JSON' },
  { value: 'openai', label: 'OpenAI chat JSON (and τ-bench)' },
  { value: 'managed-agents', label: 'Claude Managed Agents events' },
]

const FILTERS = [
  { name: 'Session logs (JSON, JSON Lines)', extensions: ['json', 'jsonl', 'ndjson'] },
  { name: 'All files', extensions: ['*'] },
]

interface Progress {
  records: number
  imported: number
}

export function ImportSessions({
  onImported,
  onClose,
}: {
  onImported: (summary: ImportSummary) => void
  onClose: () => void
}) {
  const ids = useId()
  const agents = useCall('agents.list', {})
  const [agent, setAgent] = useState('')
  const [path, setPath] = useState('')
  const [format, setFormat] = useState<ImportFormat | 'auto'>('auto')
  const [onError, setOnError] = useState<'skip' | 'stop'>('skip')
  const [busy, setBusy] = useState(false)
  const [progress, setProgress] = useState<Progress>()
  const [error, setError] = useState<string>()
  const [summary, setSummary] = useState<ImportSummary>()
  const firstField = useRef<HTMLSelectElement>(null)
  const inApp = transport().kind === 'tauri'

  useEffect(() => firstField.current?.focus(), [])
  const agentName = agent || (agents.status === 'ok' ? (agents.data[0]?.name ?? '') : '')

  // Long imports report every hundred records.
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'import_progress' && busy) {
          setProgress({ records: Number(event.records) || 0, imported: Number(event.imported) || 0 })
        }
      }),
    [busy],
  )

  const choose = async () => {
    setError(undefined)
    try {
      const chosen = await chooseFile('Import sessions', FILTERS)
      if (chosen) setPath(chosen)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    }
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (busy) return
    if (!agentName) {
      setError('Create an agent first: imported sessions belong to one.')
      return
    }
    if (!path.trim()) {
      setError(inApp ? 'Choose the file to import.' : 'Type the path of the file to import.')
      return
    }
    setBusy(true)
    setError(undefined)
    setSummary(undefined)
    setProgress(undefined)
    try {
      const result = await call('sessions.import', {
        agent: agentName,
        path: path.trim(),
        format,
        on_error: onError,
      })
      setSummary(result)
      onImported(result)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && !busy) {
      event.preventDefault()
      onClose()
    }
  }

  return (
    <section className="panel import-panel" role="dialog" aria-modal="false" aria-labelledby={`${ids}-title`} onKeyDown={onKeyDown}>
      <h2 id={`${ids}-title`}>Import sessions</h2>
      <p className="muted">
        Bring in conversations from other tools: they become sessions of the agent you pick, shown here and read by
        its next dream. Importing the same file again adds nothing twice.
      </p>
      <form className="form" onSubmit={submit}>
        <div className="field-row">
          <label className="field">
            <span>Into agent</span>
            <select ref={firstField} value={agentName} onChange={(e) => setAgent(e.target.value)} required>
              {agents.status === 'ok' && agents.data.length === 0 && <option value="">No agents yet</option>}
              {agents.status === 'ok' && <Options choices={agents.data.map((a) => a.name)} />}
            </select>
          </label>
          <label className="field">
            <span>Format</span>
            <select value={format} onChange={(e) => setFormat(e.target.value as ImportFormat | 'auto')}>
              <Options choices={FORMATS} />
            </select>
          </label>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-path`}>File</label>
          <div className="file-row">
            <input
              id={`${ids}-path`}
              value={path}
              onChange={(e) => setPath(e.target.value)}
              placeholder={inApp ? 'Choose a file…' : '/home/you/exports/sessions.jsonl'}
              spellCheck={false}
              autoComplete="off"
              aria-describedby={`${ids}-path-hint`}
            />
            {inApp && (
              <button type="button" className="button" onClick={() => void choose()}>
                Choose…
              </button>
            )}
          </div>
          <p id={`${ids}-path-hint`} className="field-hint">
            JSON or JSON Lines: Anthropic <code>messages</code>, OpenAI chat messages, or Managed Agents session
            events. {inApp ? '' : 'The path is read on the computer running the engine.'}
          </p>
        </div>
        <fieldset className="segmented">
          <legend>If a record is malformed</legend>
          <label>
            <input type="radio" name={`${ids}-on-error`} checked={onError === 'skip'} onChange={() => setOnError('skip')} />
            Skip it and go on
          </label>
          <label>
            <input type="radio" name={`${ids}-on-error`} checked={onError === 'stop'} onChange={() => setOnError('stop')} />
            Stop the import
          </label>
        </fieldset>
        <ErrorLine text={error} />
        {busy && (
          <p className="muted" role="status">
            Importing…{progress && ` ${progress.records.toLocaleString()} records read, ${progress.imported.toLocaleString()} sessions so far.`}
          </p>
        )}
        {summary && <ImportReport summary={summary} />}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            {summary ? 'Done' : 'Cancel'}
          </button>
        </div>
      </form>
    </section>
  )
}

/** What an import did, in a sentence, then each malformed record. */
export function ImportReport({ summary }: { summary: ImportSummary }) {
  const failed = Boolean(summary.stopped)
  return (
    <div className={`notice ${failed ? 'notice-error' : 'notice-ok'}`} role={failed ? 'alert' : 'status'} data-testid="import-report">
      <p>{describeImport(summary)}</p>
      {summary.malformed_records.length > 0 && (
        <details>
          <summary>
            {summary.malformed === 1 ? 'The malformed record' : `The malformed records (${summary.malformed.toLocaleString()})`}
          </summary>
          <ul className="import-problems">
            {summary.malformed_records.map((m, i) => (
              <li key={i}>
                <strong>{m.at}</strong>: {m.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}
