/** A small form for a new document's path; it refuses a path already taken. */
import { useState, type FormEvent } from 'react'
import { documentPath } from '../../state/memoryTree'

interface NewDocumentFormProps {
  taken: string[]
  onCreate: (path: string) => Promise<void>
  onCancel: () => void
}

export function NewDocumentForm({ taken, onCreate, onCancel }: NewDocumentFormProps) {
  const [name, setName] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const target = documentPath(name)
    if ('error' in target) return setError(target.error)
    if (taken.includes(target.path)) return setError(`${target.path} already exists; open it from the list or pick another name.`)
    setBusy(true)
    try {
      await onCreate(target.path)
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
      setBusy(false)
    }
  }

  return (
    <form className="new-doc" onSubmit={submit} aria-label="New document">
      <label className="field">
        <span>Name</span>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="preferences.md"
          autoFocus
          aria-describedby="new-doc-hint"
          aria-invalid={error ? true : undefined}
          onKeyDown={(e) => e.key === 'Escape' && onCancel()}
        />
      </label>
      <p id="new-doc-hint" className="muted small">
        Saved under /memories/. Use a slash for folders: projects/plan.md.
      </p>
      {error && (
        <p className="notice notice-error small" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button button-primary button-small" disabled={busy}>
          Create
        </button>
        <button type="button" className="button button-small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
