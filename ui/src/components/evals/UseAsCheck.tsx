/**
 * "Use as a check" on a graded session's timeline: its task and rubric join
 * the agent's checks in one click, to be run before and after every dream.
 */
import { Link } from 'wouter'
import { call } from '../../api'
import { useAction } from '../../state/useAction'
import { NoteLine } from '../NoteLine'
import '../../styles/evals.css'

export function UseAsCheck({ sessionId, agent }: { sessionId: string; agent: string }) {
  const { busy, note, run } = useAction()
  const added = note?.ok === true
  return (
    <div className="use-as-check" role="group" aria-label="Checks">
      <button
        type="button"
        className="button button-small"
        disabled={busy || added}
        onClick={() => void run(() => call('evals.add_from_session', { session_id: sessionId }), `Added this task to ${agent}’s checks.`)}
        title="Run this task with its rubric before and after every dream, to see that nothing gets worse"
      >
        {added ? 'Added as a check' : 'Use as a check'}
      </button>
      <NoteLine note={note} okClassName="save-note" />
      {added && (
        <Link className="small" to={`/agents/${encodeURIComponent(agent)}#checks`}>
          See {agent}’s checks
        </Link>
      )}
    </div>
  )
}
