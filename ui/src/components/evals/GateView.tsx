/**
 * One run of an agent's checks on two memories (before and after a dream,
 * or two dreams): the one-sentence verdict, the totals, and per check the
 * result before and after, the score change, attempts, cost and time, with
 * links to both sessions. Regressions are listed first.
 */
import { Link } from 'wouter'
import type { Gate, GateSide } from '../../api'
import { formatCost } from '../../state/dreamView'
import { firstLine } from '../../state/timeline'
import { formatDuration, GATE_STATUS_LABEL, percent, regressionsFirst, scoreChange, sideLabel } from '../../state/gateView'

interface GateViewProps {
  gate: Gate
  /** Where a session's "back" link returns to. */
  back?: { back: string; backLabel: string }
}

export function GateView({ gate, back }: GateViewProps) {
  const { summary } = gate
  const tasks = regressionsFirst(gate.tasks)
  // The engine's total counts runs (each check before and after); the
  // sentence counts checks.
  const checks = gate.tasks.length || gate.total
  return (
    <div className={`gate gate-${gate.status}`} data-testid="gate">
      <p className="gate-verdict" data-testid="gate-verdict" role="status">
        <span className={`badge gate-badge gate-badge-${gate.status}`}>{GATE_STATUS_LABEL[gate.status]}</span> {gate.verdict}
      </p>
      {gate.error && (
        <p className="notice notice-error small" role="note">
          {gate.error}
        </p>
      )}
      <dl className="facts gate-facts" aria-label="Totals">
        <dt>Passed</dt>
        <dd data-testid="gate-passed">
          {summary.passed_before} of {checks} {withLabel(gate.before_label)} · {summary.passed_after} of {checks}{' '}
          {withLabel(gate.after_label)}
        </dd>
        <dt>Mean score</dt>
        <dd>
          {percent(summary.mean_before)} → {percent(summary.mean_after)}
          {summary.mean_before !== null && summary.mean_after !== null && ` (${scoreChange(summary.mean_after - summary.mean_before)})`}
        </dd>
        <dt>Got worse</dt>
        <dd data-testid="gate-regressions">
          {summary.regressions === 0 ? 'No check' : `${summary.regressions} check${summary.regressions === 1 ? '' : 's'}`}
        </dd>
        <dt>Cost and time</dt>
        <dd>
          {formatCost(summary.cost_usd)} · {formatDuration(summary.duration_ms)}
        </dd>
      </dl>
      {tasks.length > 0 && (
        <div className="table-scroll">
          <table className="gate-table" aria-label="Checks, before and after">
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">{capital(gate.before_label)}</th>
                <th scope="col">{capital(gate.after_label)}</th>
                <th scope="col">Score change</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr key={t.task_id} className={t.regression ? 'is-regression' : undefined} data-testid="gate-task">
                  <th scope="row">
                    {t.regression && <span className="badge gate-badge gate-badge-regressed">Worse</span>} {firstLine(t.task, 90)}
                    <span className="muted small gate-rubric"> · graded with {t.rubric}</span>
                  </th>
                  <td>
                    <Side side={t.before} label={linkLabel(gate, 'before')} back={back} />
                  </td>
                  <td>
                    <Side side={t.after} label={linkLabel(gate, 'after')} back={back} />
                  </td>
                  <td className={t.regression ? 'is-fail' : undefined}>{scoreChange(t.score_change)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

function Side({ side, label, back }: { side: GateSide; label: string; back?: { back: string; backLabel: string } }) {
  const done = side.status === 'done'
  return (
    <div className="gate-side">
      <span className={done ? (side.passed ? 'is-pass' : 'is-fail') : 'muted'}>
        {sideLabel(side)}
        {done && side.score !== null && ` · ${percent(side.score)}`}
      </span>
      {done && (
        <span className="muted small">
          {side.attempts} attempt{side.attempts === 1 ? '' : 's'} · {formatCost(side.cost_usd)} · {formatDuration(side.duration_ms)}
        </span>
      )}
      {side.error && <span className="small is-fail">{side.error}</span>}
      {side.session_id && (
        <Link className="small" to={`/sessions/${side.session_id}`} state={back} aria-label={`Open the session ${label}`}>
          Open the session
        </Link>
      )}
    </div>
  )
}

/** "with memory as it is", "with this dream's changes": the engine's labels, read after "2 of 3". */
const withLabel = (label: string) => (label.startsWith('with ') ? label : `with ${label}`)

/** What a session link says: "before the dream" / "after the dream" in a dream's gate, else the side's label. */
const linkLabel = (gate: Gate, side: 'before' | 'after') =>
  gate.dream_id ? `${side} the dream` : withLabel(side === 'before' ? gate.before_label : gate.after_label)

const capital = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s)
