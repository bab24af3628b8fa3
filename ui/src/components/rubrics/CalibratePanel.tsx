/**
 * "Check the grader": grades one past output k times with the saved rubric
 * and shows, per judged criterion, how often the verdicts agree and how far
 * the scores spread. A criterion below the stability threshold is flagged
 * with advice (make it concrete, split it, or make it an exact check).
 */
import { useId, useState } from 'react'
import { ApiError, call, type Calibration } from '../../api'
import { formatCost } from '../../state/dreamView'
import { CallError } from '../CallError'
import { PastSessionSelect } from './PastSessionSelect'
import { usePastSessions } from '../../state/pastSessions'
import '../../styles/evals.css'

const GENERIC_ADVICE =
  'Make it more concrete (say exactly what counts), split it into two criteria, or turn it into an exact check.'

export function CalibratePanel({ rubric, dirty }: { rubric: string; dirty: boolean }) {
  const ids = useId()
  const sessions = usePastSessions()
  const [chosen, setChosen] = useState('')
  const [k, setK] = useState('5')
  const [state, setState] = useState<{ status: 'idle' } | { status: 'running' } | { status: 'done'; result: Calibration } | { status: 'error'; error: ApiError }>({
    status: 'idle',
  })
  const sessionId = chosen || (sessions.status === 'ok' ? (sessions.data[0]?.id ?? '') : '')
  const times = Number(k)
  const validK = Number.isInteger(times) && times >= 2 && times <= 20

  const run = async () => {
    if (!sessionId || !validK) return
    setState({ status: 'running' })
    try {
      setState({ status: 'done', result: await call('rubrics.calibrate', { rubric, session_id: sessionId, k: times }) })
    } catch (e) {
      setState({ status: 'error', error: e instanceof ApiError ? e : new ApiError('engine', String(e), 'rubrics.calibrate') })
    }
  }

  return (
    <section className="try-panel calibrate-panel" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`}>Check the grader</h3>
      <p className="muted small">
        Grades one past output several times to see whether the grader judges each criterion the same way every time. A
        criterion it keeps changing its mind about needs rewording.
        {dirty && ' This uses the saved rubric: save first to check your changes.'}
      </p>
      {sessions.status === 'error' && <CallError error={sessions.error} />}
      {sessions.status === 'ok' && sessions.data.length === 0 && <p className="muted small">No finished session yet to grade.</p>}
      {sessions.status === 'ok' && sessions.data.length > 0 && (
        <div className="try-row">
          <label className="field" htmlFor={`${ids}-session`}>
            Output to grade
            <PastSessionSelect id={`${ids}-session`} sessions={sessions.data} value={sessionId} onChange={setChosen} />
          </label>
          <label className="field field-narrow" htmlFor={`${ids}-k`}>
            Times
            <input id={`${ids}-k`} inputMode="numeric" value={k} onChange={(e) => setK(e.target.value)} aria-describedby={`${ids}-k-hint`} aria-invalid={!validK || undefined} />
          </label>
          <button type="button" className="button" onClick={() => void run()} disabled={!validK || state.status === 'running'}>
            {state.status === 'running' ? 'Grading…' : 'Check the grader'}
          </button>
          <span id={`${ids}-k-hint`} className={validK ? 'muted small' : 'field-hint field-hint-error'}>
            {validK ? 'Each grading costs as much as one grade.' : 'Grade it from 2 to 20 times.'}
          </span>
        </div>
      )}
      <div aria-live="polite">
        {state.status === 'error' && <CallError error={state.error} />}
        {state.status === 'done' && <CalibrationView result={state.result} />}
      </div>
    </section>
  )
}

function CalibrationView({ result }: { result: Calibration }) {
  const unstable = result.criteria.filter((c) => !c.stable)
  return (
    <div className="calibration" data-testid="calibration">
      <p className={`grade-headline ${unstable.length ? 'is-fail' : 'is-pass'}`}>
        {unstable.length === 0
          ? `Steady: over ${result.k} gradings the grader judged every criterion the same way.`
          : `${unstable.length} of ${result.criteria.length} criteria are unsteady over ${result.k} gradings.`}
      </p>
      <table className="tl-verdicts">
        <caption className="visually-hidden">How steady the grader is, per criterion</caption>
        <thead>
          <tr>
            <th scope="col">Criterion</th>
            <th scope="col">Verdicts agree</th>
            <th scope="col">Passed</th>
            <th scope="col">Scores</th>
            <th scope="col">Steady?</th>
          </tr>
        </thead>
        <tbody>
          {result.criteria.map((c) => (
            <tr key={c.criterion_index} className={c.stable ? undefined : 'is-unstable'} data-testid="calibration-row">
              <th scope="row">{c.name}</th>
              <td>{Math.round(c.agreement * 100)}%</td>
              <td>
                {c.passed} of {c.runs}
              </td>
              <td>
                {Math.round(c.score_min * 100)}–{Math.round(c.score_max * 100)}% (spread {Math.round(c.score_spread * 100)} points)
              </td>
              <td className={c.stable ? 'is-pass' : 'is-fail'}>
                {c.stable ? 'Steady' : 'Unsteady'}
                {!c.stable && <p className="small calibration-advice">{c.advice ?? GENERIC_ADVICE}</p>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        A criterion is steady when at least {Math.round(result.threshold * 100)}% of the verdicts agree. Checking cost{' '}
        {formatCost(result.cost_usd)}.
      </p>
    </div>
  )
}
