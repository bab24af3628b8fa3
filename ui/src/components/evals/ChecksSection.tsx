/**
 * The agent editor's "Checks": the agent's evaluation set, tasks each graded
 * with a rubric, run before and after every dream to show it made nothing
 * worse. Add one (task and rubric), edit, remove and reorder; each change
 * applies at once. A graded session's "Use as a check" adds one too.
 */
import { useEffect, useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { ApiError, call, type EvalTask, type StoredRubric } from '../../api'
import { firstLine } from '../../state/timeline'
import { useCall } from '../../state/useCall'
import { ErrorLine, OkLine } from '../NoteLine'
import '../../styles/evals.css'

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e))

export function ChecksSection({ agent, defaultRubricId }: { agent: string; defaultRubricId?: string | null }) {
  const ids = useId()
  const [checks, setChecks] = useState<EvalTask[]>()
  const [error, setError] = useState<string>()
  const [note, setNote] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [editing, setEditing] = useState<string>()
  const [unsupported, setUnsupported] = useState(false)
  const rubrics = useCall('rubrics.list', {})
  const rubricList = rubrics.status === 'ok' ? rubrics.data : []

  useEffect(() => {
    let live = true
    call('evals.list', { agent }).then(
      (list) => live && setChecks(list),
      (e) => {
        if (!live) return
        if (e instanceof ApiError && e.kind === 'unknown_method') setUnsupported(true)
        else setError(message(e))
      },
    )
    return () => {
      live = false
    }
  }, [agent])

  const act = async (work: () => Promise<EvalTask[]>, done: string) => {
    setBusy(true)
    setError(undefined)
    setNote(undefined)
    try {
      setChecks(await work())
      setNote(done)
      return true
    } catch (e) {
      setError(message(e))
      return false
    } finally {
      setBusy(false)
    }
  }
  const list = checks ?? []
  const reload = () => call('evals.list', { agent })

  const move = (i: number, by: -1 | 1) => {
    const check = list[i]
    const other = list[i + by]
    if (!check || !other) return
    void act(() => call('evals.move', { id: check.id, position: other.position }), by < 0 ? 'Moved the check up.' : 'Moved the check down.')
  }

  if (unsupported) return null
  return (
    <section className="editor-section" aria-labelledby={`${ids}-checks`} id="checks">
      <h2 id={`${ids}-checks`}>Checks</h2>
      <p className="field-hint">
        Tasks {agent} should keep getting right, each with the rubric that grades it. Before a dream changes {agent}’s
        memory, Reverie runs these tasks with the memory as it is and as the dream would leave it, and holds the dream for
        your review if anything gets worse. Add a task here, or open a graded session and press “Use as a check”.
      </p>
      {checks === undefined && !error && <p className="muted small">Loading the checks…</p>}
      {checks && checks.length === 0 && <p className="muted small" data-testid="no-checks">No checks yet.</p>}
      {list.length > 0 && (
        <ol className="check-list" aria-label="Checks">
          {list.map((check, i) => (
            <li key={check.id} className="check-item" aria-label={`Check ${i + 1}: ${firstLine(check.task, 60)}`}>
              {editing === check.id ? (
                <CheckForm
                  label={`Edit check ${i + 1}`}
                  initial={check}
                  rubrics={rubricList}
                  submit="Save check"
                  busy={busy}
                  onCancel={() => setEditing(undefined)}
                  onSubmit={async (task, rubric) => {
                    const ok = await act(async () => {
                      await call('evals.update', { id: check.id, task, rubric })
                      return reload()
                    }, 'Saved the check.')
                    if (ok) setEditing(undefined)
                  }}
                />
              ) : (
                <>
                  <div className="check-text">
                    <span className="check-task">{firstLine(check.task, 200)}</span>
                    <span className="muted small">
                      Graded with {rubricTitle(rubricList, check.rubric)}
                      {check.source_session_id && (
                        <>
                          {' · '}
                          <Link to={`/sessions/${check.source_session_id}`}>from a past session</Link>
                        </>
                      )}
                    </span>
                  </div>
                  <div className="actions check-actions">
                    <button type="button" className="button button-small" disabled={busy || i === 0} onClick={() => move(i, -1)}>
                      Move up
                    </button>
                    <button type="button" className="button button-small" disabled={busy || i === list.length - 1} onClick={() => move(i, 1)}>
                      Move down
                    </button>
                    <button type="button" className="button button-small" disabled={busy} onClick={() => setEditing(check.id)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      disabled={busy}
                      onClick={() =>
                        void act(async () => {
                          await call('evals.remove', { id: check.id })
                          return reload()
                        }, 'Removed the check.')
                      }
                    >
                      Remove
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ol>
      )}
      <ErrorLine text={error} />
      <OkLine text={note} className="field-hint" />
      {checks && (
        <CheckForm
          key={`${list.length}:${rubricList.length}`}
          label="Add a check"
          initial={{ task: '', rubric: rubricList.find((r) => r.id === defaultRubricId)?.name ?? '' }}
          rubrics={rubricList}
          submit="Add check"
          busy={busy}
          onSubmit={async (task, rubric) => {
            await act(async () => {
              await call('evals.add', { agent, task, rubric })
              return reload()
            }, 'Added the check.')
          }}
        />
      )}
      {rubrics.status === 'ok' && rubricList.length === 0 && (
        <p className="field-hint">
          A check needs a rubric to grade it: <Link to="/rubrics">make one on the Rubrics screen</Link>.
        </p>
      )}
    </section>
  )
}

interface CheckFormProps {
  label: string
  initial: { task: string; rubric: string }
  rubrics: StoredRubric[]
  submit: string
  busy: boolean
  onSubmit: (task: string, rubric: string) => Promise<void>
  onCancel?: () => void
}

function CheckForm({ label, initial, rubrics, submit, busy, onSubmit, onCancel }: CheckFormProps) {
  const ids = useId()
  const [task, setTask] = useState(initial.task)
  const [rubric, setRubric] = useState(initial.rubric)
  const chosen = rubric || rubrics[0]?.name || ''
  const send = (event: FormEvent) => {
    event.preventDefault()
    if (!task.trim() || !chosen) return
    void onSubmit(task.trim(), chosen)
  }
  return (
    <form className="check-form" aria-label={label} onSubmit={send}>
      <label className="field" htmlFor={`${ids}-task`}>
        What to ask the agent
        <textarea
          id={`${ids}-task`}
          rows={2}
          value={task}
          onChange={(e) => setTask(e.target.value)}
          placeholder="What the agent is asked to do, as you would ask it"
          onKeyDown={(e) => e.key === 'Escape' && onCancel?.()}
        />
      </label>
      <label className="field" htmlFor={`${ids}-rubric`}>
        Rubric
        <select id={`${ids}-rubric`} value={chosen} onChange={(e) => setRubric(e.target.value)}>
          {rubrics.map((r) => (
            <option key={r.id} value={r.name}>
              {rubricTitle(rubrics, r.name)}
            </option>
          ))}
        </select>
      </label>
      <div className="actions">
        <button type="submit" className="button button-small button-primary" disabled={busy || !task.trim() || !chosen}>
          {submit}
        </button>
        {onCancel && (
          <button type="button" className="button button-small" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  )
}

/** A rubric as people named it (the name inside its document), else its stored name. */
function rubricTitle(rubrics: StoredRubric[], name: string): string {
  const r = rubrics.find((x) => x.name === name)
  if (!r) return name
  try {
    const title = (JSON.parse(r.document) as { name?: unknown }).name
    return typeof title === 'string' && title.trim() ? title.trim() : r.name
  } catch {
    return r.name
  }
}
