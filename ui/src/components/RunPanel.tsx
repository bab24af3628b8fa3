/**
 * Run a task on one agent: `run.start`, then the answer as it streams in from
 * the engine's `text_delta` events for that session, tool calls in a compact
 * line each, Cancel (`run.cancel`), and the final status. It owns one run at a
 * time for the panel; it never shows events of another session.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { Link } from 'react-router'
import { ApiError, call, subscribe, type ApiEvent } from '../api'
import { applyEvent, STATUS_LABEL, type RunView } from '../state/runView'

export function RunPanel({ agent }: { agent: string }) {
  const ids = useId()
  const [task, setTask] = useState('')
  const [run, setRun] = useState<RunView>()
  const [sessionId, setSessionId] = useState<string>()
  const [startError, setStartError] = useState<string>()
  const session = useRef<string | undefined>(undefined)
  const starting = useRef(false)
  // Events that arrive before run.start answers with the session id.
  const early = useRef<ApiEvent[]>([])

  useEffect(
    () =>
      subscribe((event) => {
        const id = event.session_id
        if (typeof id !== 'string') return
        if (session.current === undefined) {
          if (starting.current) early.current.push(event)
          return
        }
        if (id === session.current) setRun((view) => view && applyEvent(view, event))
      }),
    [],
  )

  const running = run?.status === 'starting' || run?.status === 'running'

  const start = async () => {
    if (running || !task.trim()) return
    session.current = undefined
    setSessionId(undefined)
    early.current = []
    starting.current = true
    setStartError(undefined)
    setRun({ text: '', tools: [], status: 'starting' })
    try {
      const { session_id } = await call('run.start', { agent, task })
      session.current = session_id
      setSessionId(session_id)
      const mine = early.current.filter((e) => e.session_id === session_id)
      setRun((view) => mine.reduce(applyEvent, view ?? { text: '', tools: [], status: 'starting' }))
    } catch (e) {
      setRun(undefined)
      setStartError(e instanceof ApiError ? e.message : String(e))
    } finally {
      starting.current = false
      early.current = []
    }
  }

  const cancel = async () => {
    if (!sessionId) return
    try {
      await call('run.cancel', { id: sessionId })
    } catch (e) {
      setStartError(e instanceof ApiError ? e.message : String(e))
    }
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault()
    void start()
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      void start()
    }
  }

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Run a task with {agent}</h2>
      <form onSubmit={onSubmit} className="form">
        <label className="field">
          <span>Task</span>
          <textarea
            value={task}
            onChange={(e) => setTask(e.target.value)}
            onKeyDown={onKeyDown}
            rows={3}
            // The panel opens only when a person picks an agent, so the task box is where they are going.
            autoFocus
            aria-describedby={`${ids}-hint`}
          />
        </label>
        <p id={`${ids}-hint`} className="muted small">
          Ctrl+Enter (⌘+Enter on a Mac) runs the task.
        </p>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={running || !task.trim()}>
            Run
          </button>
          {running && (
            <button type="button" className="button" onClick={() => void cancel()} disabled={!sessionId}>
              Cancel
            </button>
          )}
        </div>
      </form>
      {startError && (
        <p className="notice notice-error" role="alert">
          {startError}
        </p>
      )}
      {run && (
        <div className="run-output">
          <p className="run-status" role="status" data-testid="run-status">
            {STATUS_LABEL[run.status] ?? run.status}
          </p>
          {run.tools.length > 0 && (
            <ul className="tool-lines" aria-label="Tool calls">
              {run.tools.map((tool, i) => (
                <li key={i} className={`tool-line tool-${tool.state}`}>
                  <code>{tool.name}</code>{' '}
                  {tool.state === 'running' ? '…' : tool.state === 'ok' ? 'done' : 'failed'}
                </li>
              ))}
            </ul>
          )}
          {run.retrying && <p className="muted">{run.retrying}</p>}
          <div className="answer" aria-live="polite" aria-label="Answer" data-testid="run-answer" role="region">
            {run.text}
          </div>
          {run.error && (
            <p className="notice notice-error" role="alert">
              {run.error}
            </p>
          )}
          {sessionId && (
            <p className="muted">
              <Link to={`/sessions/${sessionId}`}>Open this session's timeline</Link>
            </p>
          )}
        </div>
      )}
    </section>
  )
}
