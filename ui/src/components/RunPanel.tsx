/**
 * Run a task on one agent: `run.start`, then the answer as it streams in from
 * the engine's `text_delta` events for that session, rendered as Markdown,
 * each model turn and each tool call its own block; a graded run shows each
 * attempt ("Attempt 2 of 3") with the grader's verdict, score and
 * per-criterion result under it. Cancel (`run.cancel`), a note when the model
 * has gone quiet, and a headline that agrees with the outcome. One run at a
 * time per agent (state/panelRuns follows it); never events of another session.
 */
import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from 'react'
import { Link } from 'wouter'
import { cancelRun, setTask, startRun, usePanelRun } from '../state/panelRuns'
import { headline, RESULT_LABEL, type Attempt } from '../state/runView'
import { Markdown, preloadMarkdown } from './Markdown'
import { ErrorLine } from './NoteLine'

/** After this long without a word from the model, the panel says so. */
export const QUIET_AFTER_MS = 15_000

export function RunPanel({ agent, quietAfterMs = QUIET_AFTER_MS }: { agent: string; quietAfterMs?: number }) {
  const ids = useId()
  // The run lives in state/panelRuns, so it outlasts this panel: back from
  // the run's timeline, the panel shows it as it stands.
  const { task, run, sessionId, startError, lastEventAt } = usePanelRun(agent)
  const [quietFor, setQuietFor] = useState(0)

  // An answer is coming: have its renderer ready before the first words.
  useEffect(preloadMarkdown, [])

  const running = run?.status === 'starting' || run?.status === 'running'

  // A stalled stream is not silent: after a while the panel says the model is quiet.
  useEffect(() => {
    if (!running) {
      setQuietFor(0)
      return
    }
    const check = () => {
      const quiet = Date.now() - lastEventAt
      setQuietFor(quiet >= quietAfterMs ? Math.max(1, Math.floor(quiet / 1000)) : 0)
    }
    check()
    const timer = window.setInterval(check, Math.min(1000, quietAfterMs))
    return () => window.clearInterval(timer)
  }, [running, lastEventAt, quietAfterMs])

  const start = () => void startRun(agent)
  const cancel = () => void cancelRun(agent)

  const onSubmit = (event: FormEvent) => {
    event.preventDefault()
    start()
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      start()
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
            onChange={(e) => setTask(agent, e.target.value)}
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
            <button type="button" className="button" onClick={cancel} disabled={!sessionId}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <ErrorLine text={startError} />
      {run && (
        <div className="run-output">
          <p className={`run-status run-status-${headline(run).tone}`} role="status" data-testid="run-status">
            {headline(run).text}
          </p>
          {run.notices?.map((n, i) => (
            <p key={i} className="notice small" role="note" data-testid="run-notice">
              {n}
            </p>
          ))}
          {run.retrying && <p className="muted">{run.retrying}</p>}
          {running && quietFor > 0 && (
            <p className="muted" data-testid="run-quiet">
              No word from the model for {quietFor} {quietFor === 1 ? 'second' : 'seconds'}. Reverie waits up to 90 seconds, then
              tries again.
            </p>
          )}
          <div className="answer" aria-live="polite" aria-label="Answer" data-testid="run-answer" role="region">
            {run.attempts.map((attempt) => (
              <AttemptView key={attempt.number} attempt={attempt} />
            ))}
          </div>
          <ErrorLine text={run.error} />
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

function percent(score: number): string {
  return `${Math.round(score * 100)}%`
}

/** One attempt: its turns and tool calls in order, then the grader's verdict. */
function AttemptView({ attempt }: { attempt: Attempt }) {
  const graded = attempt.number > 0
  const title = graded ? `Attempt ${attempt.number} of ${attempt.of}` : undefined
  const body = (
    <>
      {attempt.blocks.map((block, i) =>
        block.kind === 'text' ? (
          <Markdown key={i} text={block.text} className="turn" />
        ) : (
          <p key={i} className={`tool-line tool-${block.state}`}>
            <code>{block.name}</code> {block.state === 'running' ? '…' : block.state === 'ok' ? 'done' : 'failed'}
          </p>
        ),
      )}
      {attempt.gradingError && (
        <p className="notice notice-warn" data-testid="grading-failed">
          This attempt could not be graded: {attempt.gradingError}
        </p>
      )}
      {attempt.verdict && (
        <div className={`verdict verdict-${attempt.verdict.result}`} data-testid="verdict">
          <p className="verdict-line">
            <strong>{RESULT_LABEL[attempt.verdict.result] ?? attempt.verdict.result}</strong> · score {percent(attempt.verdict.score)}
          </p>
          {attempt.verdict.explanation && <p className="muted">{attempt.verdict.explanation}</p>}
          {attempt.verdict.criteria.length > 0 && (
            <ul className="criteria" aria-label={`Criteria, attempt ${attempt.number}`}>
              {attempt.verdict.criteria.map((c) => (
                <li key={c.criterion_index} className={c.passed ? 'criterion-pass' : 'criterion-fail'}>
                  <span aria-hidden="true">{c.passed ? '✓' : '✗'}</span> {c.name}: {c.passed ? 'met' : 'not met'} ({percent(c.score)})
                  {!c.passed && c.gap && <span className="gap"> — {c.gap}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </>
  )
  if (!graded) return <div className="attempt">{body}</div>
  return (
    <section className="attempt attempt-graded" aria-label={title}>
      <h3 className="attempt-title">{title}</h3>
      {body}
    </section>
  )
}
