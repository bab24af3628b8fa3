/**
 * Who wrote each line of a memory document (blame): the version that
 * introduced it, and whether you, an agent in a session, a dream or an edit
 * in the mirrored folder wrote it, each a link. Clicking a line offers to
 * correct it, forget it (a new version without it) or pin it (dreams never
 * delete it). Older versions are shown read-only.
 */
import { useEffect, useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { ApiError, call, type Blame, type BlameLine, type LineAction } from '../../api'
import { formatWhen } from '../../state/memoryTree'
import { ErrorLine, OkLine } from '../NoteLine'
import '../../styles/evals.css'

interface BlameViewProps {
  store: string
  path: string
  /** A version to show; none: the current one. */
  version?: number
  onVersion: (version: number | undefined) => void
  /** A line action made a new version. */
  onChanged: () => void
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e))

const DONE: Record<LineAction, string> = {
  correct: 'Corrected the line',
  forget: 'Forgot the line',
  pin: 'Pinned the line: dreams will not delete it',
  unpin: 'Unpinned the line',
}

export function BlameView({ store, path, version, onVersion, onChanged }: BlameViewProps) {
  const ids = useId()
  const [blame, setBlame] = useState<Blame>()
  const [error, setError] = useState<string>()
  const [note, setNote] = useState<string>()
  const [open, setOpen] = useState<number>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    let live = true
    call('memory.blame', { store, path, ...(version !== undefined ? { version } : {}) }).then(
      (b) => {
        if (!live) return
        setBlame(b)
        setError(undefined)
      },
      (e) => live && setError(message(e)),
    )
    return () => {
      live = false
    }
  }, [store, path, version])

  const act = async (line: BlameLine, action: LineAction, text?: string) => {
    setBusy(true)
    setError(undefined)
    setNote(undefined)
    try {
      const next = await call('memory.line', { store, path, line: line.line, expected: line.text, action, ...(text !== undefined ? { text } : {}) })
      setBlame(next)
      setOpen(undefined)
      setNote(`${DONE[action]}${action === 'pin' || action === 'unpin' ? '.' : `; saved as version ${next.version}.`}`)
      onChanged()
    } catch (e) {
      setError(message(e))
    } finally {
      setBusy(false)
    }
  }

  const older = version !== undefined
  return (
    <section className="blame-view" aria-labelledby={`${ids}-title`} data-testid="blame">
      <div className="blame-head">
        <h3 id={`${ids}-title`}>
          Who wrote each line{blame ? ` of version ${blame.version}` : ''}
        </h3>
        {older && (
          <button type="button" className="button button-small" onClick={() => onVersion(undefined)}>
            Show the current version
          </button>
        )}
      </div>
      <p className="muted small">
        {older
          ? 'An older version, to read. Open the current version to change its lines.'
          : 'Click a line to correct it, forget it or pin it.'}
      </p>
      <ErrorLine text={error} />
      <OkLine text={note} className="field-hint" />
      {!blame && !error && <p className="muted small">Reading the document’s history…</p>}
      {blame && blame.lines.length === 0 && <p className="muted small">This version is empty.</p>}
      {blame && blame.lines.length > 0 && (
        <ol className="blame-lines" aria-label={`Lines of ${blame.path}`}>
          {blame.lines.map((line, i) => {
            const repeat = i > 0 && blame.lines[i - 1].version === line.version
            return (
              <li key={line.line} className={`blame-line${line.pinned ? ' is-pinned' : ''}${open === line.line ? ' is-open' : ''}`} data-testid="blame-line">
                <span className={`blame-who${repeat ? ' is-repeat' : ''}`}>
                  <Author line={line} />
                  <button type="button" className="link-button small" onClick={() => onVersion(line.version)} title={line.reason || undefined}>
                    version {line.version}
                  </button>
                  <span className="muted small"> · {formatWhen(line.at)}</span>
                </span>
                <button
                  type="button"
                  className="blame-text"
                  aria-expanded={open === line.line}
                  disabled={older}
                  onClick={() => setOpen(open === line.line ? undefined : line.line)}
                >
                  {/* Named by its content (an aria-label would hide the visible text from speech input). */}
                  <span className="blame-number" aria-hidden="true">
                    {line.line}
                  </span>
                  <span className="visually-hidden">{`Line ${line.line}: ${line.text ? '' : '(empty)'}`}</span>
                  <span className="blame-content">{line.text || ' '}</span>
                  {line.pinned && <span className="badge">Pinned</span>}
                </button>
                {open === line.line && <LineActions line={line} busy={busy} onAct={(action, text) => void act(line, action, text)} />}
              </li>
            )
          })}
        </ol>
      )}
    </section>
  )
}

/** Who wrote a line, linked to where it came from. */
function Author({ line }: { line: BlameLine }) {
  const { author } = line
  switch (author.kind) {
    case 'user':
      return <span className="blame-author">You</span>
    case 'agent':
      return author.session_id ? (
        <Link className="blame-author" to={`/sessions/${author.session_id}`}>
          {author.agent ?? 'The agent'}, in a session
        </Link>
      ) : (
        <span className="blame-author">{author.agent ?? 'The agent'}</span>
      )
    case 'dream':
      return author.dream_id ? (
        <Link className="blame-author" to={`/dreams?dream=${author.dream_id}`}>
          A dream{author.agent ? ` of ${author.agent}` : ''}
        </Link>
      ) : (
        <span className="blame-author">A dream</span>
      )
    default:
      return <span className="blame-author">An edit in the mirrored folder</span>
  }
}

function LineActions({ line, busy, onAct }: { line: BlameLine; busy: boolean; onAct: (action: LineAction, text?: string) => void }) {
  const ids = useId()
  const [correcting, setCorrecting] = useState<string>()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (correcting !== undefined && correcting !== line.text) onAct('correct', correcting)
  }
  return (
    <div className="blame-actions" role="group" aria-label={`Change line ${line.line}`}>
      {line.reason && <p className="muted small">Why it was written: {line.reason}</p>}
      {correcting === undefined ? (
        <div className="actions">
          <button type="button" className="button button-small" disabled={busy} onClick={() => setCorrecting(line.text)}>
            Correct it
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={() => onAct('forget')}>
            Forget it
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={() => onAct(line.pinned ? 'unpin' : 'pin')}>
            {line.pinned ? 'Unpin it' : 'Pin it'}
          </button>
        </div>
      ) : (
        <form className="inline-form" onSubmit={submit} aria-label={`Correct line ${line.line}`}>
          <label className="field" htmlFor={`${ids}-text`}>
            Corrected line
            <input id={`${ids}-text`} value={correcting} autoFocus onChange={(e) => setCorrecting(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setCorrecting(undefined)} />
          </label>
          <button type="submit" className="button button-small button-primary" disabled={busy || correcting === line.text}>
            Save correction
          </button>
          <button type="button" className="button button-small" onClick={() => setCorrecting(undefined)}>
            Cancel
          </button>
        </form>
      )}
      <p className="muted small">Forget it saves a new version without this line. A pinned line is never deleted by a dream.</p>
    </div>
  )
}
