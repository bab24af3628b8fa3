/**
 * Reverting an applied dream: restores what each document held before it,
 * as one step. Documents edited after the dream are shown with all three
 * texts, and the person chooses per document to keep the later edit or
 * restore the earlier text; either way every version stays in history.
 */
import { useEffect, useId, useState } from 'react'
import { ApiError, call, type ConflictChoice, type RevertConflict } from '../../api'
import { DiffTable } from '../memory/DiffTable'
import { ErrorLine } from '../NoteLine'

interface RevertPanelProps {
  dreamId: string
  onReverted: (summary: string) => void
  onCancel: () => void
}

export function RevertPanel({ dreamId, onReverted, onCancel }: RevertPanelProps) {
  const ids = useId()
  const [conflicts, setConflicts] = useState<RevertConflict[]>()
  const [choices, setChoices] = useState<Record<string, ConflictChoice>>({})
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    call('dreams.revert_conflicts', { id: dreamId }).then(setConflicts, (e) =>
      setError(e instanceof ApiError ? e.message : String(e)),
    )
  }, [dreamId])

  const undecided = conflicts?.filter((c) => !choices[c.path]).length ?? 0

  const revert = async () => {
    setBusy(true)
    setError(undefined)
    try {
      const outcome = await call('dreams.revert', { id: dreamId, choices })
      const kept = outcome.kept.length ? `; kept your later edits of ${outcome.kept.join(', ')}` : ''
      onReverted(`Reverted: restored ${outcome.restored.length} document${outcome.restored.length === 1 ? '' : 's'}${kept}.`)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
      setBusy(false)
    }
  }

  return (
    <section className="revert-panel" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`}>Revert this dream</h3>
      {!conflicts && !error && <p className="muted">Checking for later edits…</p>}
      {conflicts && conflicts.length === 0 && (
        <p>Every document this dream changed goes back to what it held before. The dream’s versions stay in each history.</p>
      )}
      {conflicts && conflicts.length > 0 && (
        <>
          <p>
            {conflicts.length === 1 ? 'One document was' : `${conflicts.length} documents were`} edited after the dream. Choose
            for each what to keep; nothing is deleted from history either way.
          </p>
          {conflicts.map((c) => (
            <fieldset key={c.path} className="revert-conflict">
              <legend>{c.path}</legend>
              <DiffTable
                before={c.before ?? ''}
                after={c.current ?? ''}
                beforeLabel={c.before === null ? 'Before the dream (no document)' : 'Before the dream'}
                afterLabel={c.current === null ? 'Now (deleted)' : 'Now (edited after the dream)'}
                caption={`${c.path}: before the dream against now`}
              />
              <label className="choice">
                <input type="radio" name={`${ids}-${c.path}`} checked={choices[c.path] === 'keep_current'} onChange={() => setChoices({ ...choices, [c.path]: 'keep_current' })} />
                Keep the current text
              </label>
              <label className="choice">
                <input type="radio" name={`${ids}-${c.path}`} checked={choices[c.path] === 'restore_before'} onChange={() => setChoices({ ...choices, [c.path]: 'restore_before' })} />
                Restore the text from before the dream
              </label>
            </fieldset>
          ))}
        </>
      )}
      <ErrorLine text={error} />
      <div className="actions">
        <button type="button" className="button button-primary button-small" onClick={() => void revert()} disabled={busy || !conflicts || undecided > 0}>
          Revert dream
        </button>
        <button type="button" className="button button-small" onClick={onCancel}>
          Cancel
        </button>
        {undecided > 0 && <span className="muted small">Choose for {undecided === 1 ? 'the document' : `all ${undecided} documents`} above first.</span>}
      </div>
    </section>
  )
}
