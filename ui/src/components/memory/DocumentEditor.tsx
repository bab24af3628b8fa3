/**
 * One open document: the Markdown editor, Save with a conflict check (the
 * write carries the sha256 the editor started from; if the document changed
 * underneath, both texts are shown and the person keeps theirs or reloads —
 * their draft stays on screen until they dismiss it), pin, rename, delete,
 * the version history, and who wrote each line (blame) with line actions. Unsaved text is never dropped silently.
 */
import { lazy, Suspense, useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent } from 'react'
import { ApiError, call, type MemoryDocument } from '../../api'
import { AUTHOR_LABEL, documentPath, formatSize, formatWhen } from '../../state/memoryTree'
import { DiffTable } from './DiffTable'
import { VersionHistory } from './VersionHistory'
import { BlameView } from './BlameView'
import { ErrorLine, OkLine } from '../NoteLine'

// CodeMirror is most of the UI's weight: it loads when a document first opens.
const CodeEditor = lazy(() => import('./CodeEditor').then((m) => ({ default: m.CodeEditor })))

interface DocumentEditorProps {
  store: string
  path: string
  /** Bumped by the page when the document may have changed elsewhere (a mirror, a dream). */
  outsideChange: number
  onChanged: () => void
  onRenamed: (to: string) => void
  onDeleted: (path: string, version: number) => void
  onDirtyChange: (dirty: boolean) => void
  /** Put the caret in the editor once the document has loaded (it was just created). */
  focusEditor?: boolean
  /** Open who-wrote-each-line at once (a link from the timeline), at this version if given. */
  blame?: { version?: number }
}

interface Loaded {
  document: MemoryDocument
  content: string
}

/** Who wrote a version, inside a sentence. */
const WHO: Record<string, string> = {
  user: 'you, elsewhere (another window or the command line)',
  agent: 'an agent',
  dream: 'a dream',
  external: 'an edit in the mirrored folder',
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e))

export function DocumentEditor({ store, path, outsideChange, onChanged, onRenamed, onDeleted, onDirtyChange, focusEditor = false, blame }: DocumentEditorProps) {
  const ids = useId()
  const [base, setBase] = useState<Loaded>()
  const [text, setText] = useState('')
  const [loadError, setLoadError] = useState<string>()
  const [error, setError] = useState<string>()
  const [note, setNote] = useState<string>()
  const [saving, setSaving] = useState(false)
  const [conflict, setConflict] = useState<Loaded>()
  /** The engine's sentence when the text looks like it holds a secret. */
  const [secretWarning, setSecretWarning] = useState<string>()
  const [keptDraft, setKeptDraft] = useState<string>()
  const [showHistory, setShowHistory] = useState(false)
  const [renaming, setRenaming] = useState<string>()
  const [confirmDelete, setConfirmDelete] = useState(false)
  const [historyKey, setHistoryKey] = useState(0)
  const [showBlame, setShowBlame] = useState(blame !== undefined)
  const [blameVersion, setBlameVersion] = useState(blame?.version)
  const historyBox = useRef<HTMLDivElement>(null)
  const dirty = base !== undefined && text !== base.content
  // The latest text and state, for callbacks that outlive a render.
  const textRef = useRef(text)
  const dirtyRef = useRef(dirty)
  useLayoutEffect(() => {
    textRef.current = text
    dirtyRef.current = dirty
  })

  useEffect(() => onDirtyChange(dirty), [dirty, onDirtyChange])

  const load = useCallback(
    async (replaceDraft: boolean) => {
      try {
        const loaded = await call('memory.read', { store, path })
        setBase(loaded)
        if (replaceDraft) setText(loaded.content)
        setLoadError(undefined)
        return loaded
      } catch (e) {
        setLoadError(message(e))
        return undefined
      }
    },
    [store, path],
  )

  // The page keys this component by document, so a new document starts afresh.
  useEffect(() => {
    let live = true
    call('memory.read', { store, path }).then(
      (loaded) => {
        if (!live) return
        setBase(loaded)
        setText(loaded.content)
      },
      (e) => live && setLoadError(message(e)),
    )
    return () => {
      live = false
    }
  }, [store, path])

  // Changed elsewhere: follow it when nothing is being edited, else the save meets the conflict.
  useEffect(() => {
    if (outsideChange !== 0 && !dirtyRef.current) void load(true)
  }, [outsideChange, load])

  const save = async (expected = base?.document.sha256, allowSecret = false) => {
    if (!base || saving) return
    setSaving(true)
    setError(undefined)
    setNote(undefined)
    setSecretWarning(undefined)
    const draft = textRef.current
    try {
      const version = await call('memory.write', {
        store,
        path,
        content: draft,
        expected_sha256: expected,
        ...(allowSecret ? { allow_secret: true } : {}),
      })
      setConflict(undefined)
      setBase({
        document: {
          ...base.document,
          sha256: version.sha256,
          version: version.seq,
          size: version.size,
          author: version.author,
          updated_at: version.created_at,
        },
        content: draft,
      })
      setNote(`Saved as version ${version.seq}.`)
      setHistoryKey((k) => k + 1)
      onChanged()
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'secret') {
        setSecretWarning(message(e))
      } else if (e instanceof ApiError && e.kind === 'conflict') {
        const theirs = await call('memory.read', { store, path }).catch(() => undefined)
        if (theirs) setConflict(theirs)
        else setError(message(e))
      } else {
        setError(message(e))
      }
    } finally {
      setSaving(false)
    }
  }

  const keepMine = () => conflict && void save(conflict.document.sha256)
  const reloadTheirs = () => {
    if (!conflict) return
    setKeptDraft(textRef.current)
    setBase(conflict)
    setText(conflict.content)
    setConflict(undefined)
  }

  const togglePin = async () => {
    if (!base) return
    try {
      const document = await call('memory.pin', { store, path, pinned: !base.document.pinned })
      setBase({ ...base, document })
      onChanged()
    } catch (e) {
      setError(message(e))
    }
  }

  const rename = async (event: FormEvent) => {
    event.preventDefault()
    if (renaming === undefined) return
    const target = documentPath(renaming)
    if ('error' in target) return setError(target.error)
    if (dirty) return setError('Save or undo your changes before renaming.')
    try {
      await call('memory.rename', { store, from: path, to: target.path })
      setRenaming(undefined)
      onRenamed(target.path)
    } catch (e) {
      setError(message(e))
    }
  }

  const remove = async () => {
    try {
      const version = await call('memory.delete', { store, path })
      onDeleted(path, version.seq)
    } catch (e) {
      setError(message(e))
    }
  }

  if (loadError) {
    return (
      <div className="notice notice-error" role="alert">
        {loadError}
      </div>
    )
  }
  if (!base) return <p className="muted">Opening {path}…</p>

  const doc = base.document
  return (
    <section className="doc-editor" aria-labelledby={`${ids}-title`}>
      <header className="doc-header">
        <div className="doc-title-row">
          <h2 id={`${ids}-title`} className="doc-title">
            {path}
          </h2>
          {dirty && <span className="badge badge-accent">Unsaved</span>}
        </div>
        <p className="muted small" id={`${ids}-meta`}>
          Version {doc.version} · {AUTHOR_LABEL[doc.author] ?? doc.author} · {formatWhen(doc.updated_at)} · {formatSize(doc.size)}
          {doc.pinned && ' · Pinned: dreams must ask before changing it'}
        </p>
        <div className="toolbar" role="toolbar" aria-label="Document">
          <button type="button" className="button button-primary button-small" onClick={() => void save()} disabled={!dirty || saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="button button-small" onClick={() => setText(base.content)} disabled={!dirty}>
            Undo changes
          </button>
          <button type="button" className="button button-small" aria-pressed={doc.pinned} onClick={() => void togglePin()}>
            {doc.pinned ? 'Pinned' : 'Pin'}
          </button>
          <button type="button" className="button button-small" onClick={() => setRenaming(path)} aria-expanded={renaming !== undefined}>
            Rename
          </button>
          <button type="button" className="button button-small button-danger" onClick={() => setConfirmDelete(true)} aria-expanded={confirmDelete}>
            Delete
          </button>
          <button
            type="button"
            className="button button-small"
            aria-pressed={showHistory}
            onClick={() => {
              setShowHistory(!showHistory)
              // Opening the history brings it into view below the editor.
              if (!showHistory) requestAnimationFrame(() => historyBox.current?.scrollIntoView?.({ block: 'start' }))
            }}
          >
            History
          </button>
          <button type="button" className="button button-small" aria-pressed={showBlame} onClick={() => setShowBlame(!showBlame)}>
            Who wrote what
          </button>
        </div>
      </header>

      {renaming !== undefined && (
        <form className="inline-form" onSubmit={rename} aria-label="Rename document">
          <label className="field">
            <span>New path</span>
            <input value={renaming} onChange={(e) => setRenaming(e.target.value)} autoFocus onKeyDown={(e) => e.key === 'Escape' && setRenaming(undefined)} />
          </label>
          <button type="submit" className="button button-primary button-small">
            Rename
          </button>
          <button type="button" className="button button-small" onClick={() => setRenaming(undefined)}>
            Cancel
          </button>
        </form>
      )}

      {confirmDelete && (
        <div
          className="confirm"
          role="alertdialog"
          aria-labelledby={`${ids}-delete`}
          aria-modal="false"
          onKeyDown={(e) => e.key === 'Escape' && setConfirmDelete(false)}
        >
          <p id={`${ids}-delete`}>
            Delete {path}? Its history is kept, so you can bring it back with Undo right after.
          </p>
          <div className="actions">
            <button type="button" className="button button-danger button-small" onClick={() => void remove()} autoFocus>
              Delete document
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </div>
        </div>
      )}

      <ErrorLine text={error} />
      <OkLine text={note} />

      {secretWarning && (
        <div className="conflict" role="alert" aria-labelledby={`${ids}-secret`}>
          <h3 id={`${ids}-secret`}>This looks like a password or a key</h3>
          <p>{secretWarning}</p>
          <p>
            Memory is read by the agent and can be mirrored to a folder or exported, so keys are safer in Settings. Save it
            anyway only if it is not really a secret.
          </p>
          <div className="actions">
            <button type="button" className="button button-small" onClick={() => setSecretWarning(undefined)}>
              Keep editing
            </button>
            <button
              type="button"
              className="button button-small"
              onClick={() => void save(base?.document.sha256, true)}
            >
              Save anyway
            </button>
          </div>
        </div>
      )}

      {conflict && (
        <div className="conflict" role="alert" aria-labelledby={`${ids}-conflict`}>
          <h3 id={`${ids}-conflict`}>This document changed while you were editing</h3>
          <p>
            Version {conflict.document.version} was saved {formatWhen(conflict.document.updated_at)} by{' '}
            {WHO[conflict.document.author] ?? conflict.document.author}. Keep yours (theirs stays in the history) or load theirs
            (your text stays here to copy from).
          </p>
          <DiffTable before={conflict.content} after={text} beforeLabel={`Theirs (version ${conflict.document.version})`} afterLabel="Yours (unsaved)" caption="Their version against yours" />
          <div className="actions">
            <button type="button" className="button button-primary button-small" onClick={keepMine}>
              Keep mine
            </button>
            <button type="button" className="button button-small" onClick={reloadTheirs}>
              Load theirs
            </button>
          </div>
        </div>
      )}

      {keptDraft !== undefined && (
        <div className="kept-draft">
          <label className="field">
            <span>Your earlier draft (not saved)</span>
            <textarea readOnly value={keptDraft} rows={5} />
          </label>
          <button type="button" className="button button-small" onClick={() => setKeptDraft(undefined)}>
            Dismiss draft
          </button>
        </div>
      )}

      {showBlame && (
        <BlameView
          store={store}
          path={path}
          version={blameVersion}
          onVersion={setBlameVersion}
          onChanged={() => {
            if (!dirtyRef.current) void load(true)
            setHistoryKey((k) => k + 1)
            onChanged()
          }}
        />
      )}

      <div className="editor-frame">
        <Suspense fallback={<p className="muted editor-loading">Loading the editor…</p>}>
          <CodeEditor value={text} onChange={setText} onSave={() => void save()} label={`Text of ${path}`} describedBy={`${ids}-hint`} autoFocus={focusEditor} />
        </Suspense>
      </div>
      <p className="muted small" id={`${ids}-hint`}>
        Ctrl+S (⌘+S) saves. Tab leaves the editor. Ctrl+F searches in the document.
      </p>

      <div ref={historyBox}>
        {showHistory && (
          <VersionHistory
            key={`${historyKey}:${outsideChange}`}
            store={store}
            path={path}
            current={text}
            dirty={dirty}
            onRestored={async () => {
              await load(true)
              setHistoryKey((k) => k + 1)
              onChanged()
            }}
          />
        )}
      </div>
    </section>
  )
}
