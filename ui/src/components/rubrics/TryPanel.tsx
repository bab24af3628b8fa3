/**
 * Try the draft on a past session's output before saving: pick a finished
 * session, grade its answer with `rubrics.test` (nothing is stored), and see
 * each criterion's verdict with its evidence or gap.
 */
import { useId, useState } from 'react'
import { ApiError, call, type Grade } from '../../api'
import { CallError } from '../CallError'
import { PastSessionSelect } from './PastSessionSelect'
import { usePastSessions } from '../../state/pastSessions'

export function TryPanel({ document, valid }: { document: string; valid: boolean }) {
  const ids = useId()
  const sessions = usePastSessions()
  const [chosen, setChosen] = useState('')
  const [state, setState] = useState<
    { status: 'idle' } | { status: 'running' } | { status: 'done'; grade: Grade; passed: boolean } | { status: 'error'; error: ApiError }
  >({ status: 'idle' })
  const sessionId = chosen || (sessions.status === 'ok' ? (sessions.data[0]?.id ?? '') : '')

  const run = async () => {
    if (!sessionId) return
    setState({ status: 'running' })
    try {
      const { grade, passed } = await call('rubrics.test', { session_id: sessionId, document })
      setState({ status: 'done', grade, passed })
    } catch (e) {
      setState({ status: 'error', error: e instanceof ApiError ? e : new ApiError('engine', String(e), 'rubrics.test') })
    }
  }

  return (
    <section className="try-panel" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`}>Try it on a past output</h3>
      {sessions.status === 'error' && <CallError error={sessions.error} />}
      {sessions.status === 'ok' && sessions.data.length === 0 && (
        <p className="muted small">
          No finished session yet. Run a task on the Agents screen, then grade its answer here before saving.
        </p>
      )}
      {sessions.status === 'ok' && sessions.data.length > 0 && (
        <div className="try-row">
          <label className="field" htmlFor={`${ids}-session`}>
            Session
            <PastSessionSelect id={`${ids}-session`} sessions={sessions.data} value={sessionId} onChange={setChosen} />
          </label>
          <button
            type="button"
            className="button"
            onClick={() => void run()}
            disabled={!valid || state.status === 'running'}
            aria-describedby={valid ? undefined : `${ids}-why`}
          >
            {state.status === 'running' ? 'Grading…' : 'Try rubric'}
          </button>
          {!valid && (
            <span id={`${ids}-why`} className="muted small">
              Fix the rubric first.
            </span>
          )}
        </div>
      )}
      <div aria-live="polite">
        {state.status === 'error' && <CallError error={state.error} />}
        {state.status === 'done' && <GradeView grade={state.grade} passed={state.passed} />}
      </div>
    </section>
  )
}

function GradeView({ grade, passed }: { grade: Grade; passed: boolean }) {
  return (
    <div className="grade" data-testid="grade">
      <p className={`grade-headline ${passed ? 'is-pass' : 'is-fail'}`}>
        {!grade.applies
          ? 'The rubric does not apply to this output.'
          : passed
            ? `Passes, with a score of ${Math.round(grade.score.weighted_score * 100)}%.`
            : `Fails, with a score of ${Math.round(grade.score.weighted_score * 100)}%.`}
      </p>
      {grade.explanation && <p className="small">{grade.explanation}</p>}
      <table className="tl-verdicts">
        <caption className="visually-hidden">Verdict per criterion</caption>
        <thead>
          <tr>
            <th scope="col">Criterion</th>
            <th scope="col">Verdict</th>
            <th scope="col">Score</th>
            <th scope="col">Evidence or gap</th>
          </tr>
        </thead>
        <tbody>
          {grade.verdicts.map((v) => (
            <tr key={v.criterion_index}>
              <td>
                {v.name}
                {grade.score.failed_required.includes(v.criterion_index) && <span className="muted"> (required)</span>}
              </td>
              <td className={v.passed ? 'is-pass' : 'is-fail'}>{v.passed ? 'Pass' : 'Fail'}</td>
              <td>{Math.round(v.score * 100)}%</td>
              <td>{v.passed ? v.evidence : v.gap || v.evidence}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {grade.requests > 0 && (
        <p className="muted small">
          Graded by {grade.model} in {grade.model_ms} ms · {grade.usage.input_tokens} in / {grade.usage.output_tokens} out
          tokens
        </p>
      )}
    </div>
  )
}
