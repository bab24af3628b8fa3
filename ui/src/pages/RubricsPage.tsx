/**
 * Rubrics: what "good work" means for a task. Lists saved rubrics; opens one
 * (or a new one, a starter, or an imported file) in the builder.
 */
import { useRef, useState, type ChangeEvent } from 'react'
import { call, type StoredRubric } from '../api'
import { CallError } from '../components/CallError'
import { EmptyState } from '../components/EmptyState'
import { Page } from '../components/Page'
import { RubricsIcon } from '../components/icons'
import { RubricEditor, type Editing } from '../components/rubrics/RubricEditor'
import { emptyDraft, fromDocument, titleOf } from '../state/rubricDraft'
import { useCall } from '../state/useCall'
import '../styles/rubrics.css'
import '../styles/timeline.css'

let opened = 0

export function RubricsPage() {
  const [refresh, setRefresh] = useState(0)
  const rubrics = useCall('rubrics.list', {}, refresh)
  const starters = useCall('rubrics.starters', {})
  const [editing, setEditing] = useState<Editing>()
  const [importError, setImportError] = useState('')
  const fileInput = useRef<HTMLInputElement>(null)

  const open = (text: string, savedName?: string) => {
    const draft = fromDocument(text)
    if ('error' in draft) {
      setImportError(draft.error)
      return
    }
    setImportError('')
    setEditing({ key: `e${++opened}`, draft, savedName, sourceText: text })
  }

  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0]
    e.target.value = ''
    if (!file) return
    if (file.size > 1_000_000) {
      setImportError(`${file.name} is over 1 MB; a rubric is a small JSON file, so pick the right one.`)
      return
    }
    open(await file.text())
  }

  const openSaved = async (r: StoredRubric) => {
    // The list is current, but a fresh read avoids editing an old version.
    try {
      const fresh = await call('rubrics.get', { name: r.id })
      open(fresh.document, fresh.name)
    } catch {
      open(r.document, r.name)
    }
  }

  return (
    <Page
      title="Rubrics"
      description="A rubric says what good work looks like, criterion by criterion. The grader checks each output against it."
    >
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          onClick={() => setEditing({ key: `e${++opened}`, draft: emptyDraft() })}
        >
          New rubric
        </button>
        <button type="button" className="button" onClick={() => fileInput.current?.click()}>
          Import JSON…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          className="visually-hidden"
          tabIndex={-1}
          aria-label="Rubric file to import"
          onChange={(e) => void importFile(e)}
        />
        {starters.status === 'ok' && (
          <label className="starter-pick">
            <span className="visually-hidden">Start from a starter rubric</span>
            <select
              value=""
              onChange={(e) => {
                const s = starters.data[Number(e.target.value)]
                if (s) open(JSON.stringify(s, null, 2) + '\n')
              }}
            >
              <option value="">Start from a starter…</option>
              {starters.data.map((s, i) => (
                <option key={i} value={i}>
                  {(s as { name: string }).name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {importError && (
        <p className="notice notice-error" role="alert">
          <strong>That file could not be opened.</strong> {importError}
        </p>
      )}
      {rubrics.status === 'loading' && <p className="muted">Loading rubrics…</p>}
      {rubrics.status === 'error' && <CallError error={rubrics.error} />}
      {rubrics.status === 'ok' && rubrics.data.length === 0 && !editing && (
        <EmptyState icon={<RubricsIcon />} title="No rubrics yet">
          <p>Start from a starter, import a JSON file, or build one criterion at a time with New rubric.</p>
        </EmptyState>
      )}
      {rubrics.status === 'ok' && rubrics.data.length > 0 && (
        <ul className="list rubric-list" aria-label="Saved rubrics">
          {rubrics.data.map((r) => (
            <li key={r.id} className="list-row">
              <span>
                <span className="list-title">{titleOf(r)}</span>{' '}
                <span className="list-meta">
                  {titleOf(r) !== r.name && `saved as ${r.name} · `}version {r.version} · updated{' '}
                  {new Date(r.updated_at).toLocaleString()}
                </span>
              </span>
              <button
                type="button"
                className="button button-small"
                aria-label={`Edit ${titleOf(r)}`}
                aria-pressed={editing?.savedName === r.name}
                onClick={() => void openSaved(r)}
              >
                Edit
              </button>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <RubricEditor
          key={editing.key}
          editing={editing}
          onSaved={(saved) => {
            setRefresh((n) => n + 1)
            setEditing((e) => e && { ...e, savedName: saved.name, sourceText: saved.document })
          }}
          onDeleted={() => {
            setEditing(undefined)
            setRefresh((n) => n + 1)
          }}
          onClose={() => setEditing(undefined)}
        />
      )}
    </Page>
  )
}
