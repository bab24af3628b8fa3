/**
 * The regression gate in a dream's review: the agent's checks run on memory
 * before and after the dream. Shows progress while they run (with Cancel),
 * the verdict and per-check results after, and "Check again". With no checks
 * it says how to add some.
 */
import { useCallback, useEffect, useId, useState } from 'react'
import { Link } from 'wouter'
import { ApiError, call, subscribe, type Gate } from '../../api'
import { ErrorLine } from '../NoteLine'
import { GateView } from './GateView'
import '../../styles/evals.css'

interface GatePanelProps {
  dreamId: string
  agent: string
  /** Something that changes when the dream changed (a refresh counter). */
  refresh?: number
}

/** How often a running gate is asked again, in case an event was missed. */
const POLL_MS = 4000

export function GatePanel({ dreamId, agent, refresh = 0 }: GatePanelProps) {
  const ids = useId()
  const [gate, setGate] = useState<Gate | null>()
  const [checks, setChecks] = useState<number>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  // An engine without checks (older than this screen) shows no gate at all.
  const [unsupported, setUnsupported] = useState(false)

  useEffect(() => {
    let live = true
    call('evals.gate', { dream_id: dreamId }).then(
      (g) => live && setGate(g),
      (e) => {
        if (!live) return
        if (e instanceof ApiError && e.kind === 'unknown_method') setUnsupported(true)
        else setError(message(e))
      },
    )
    call('evals.list', { agent }).then(
      (list) => live && setChecks(list.length),
      () => {},
    )
    return () => {
      live = false
    }
  }, [dreamId, agent, refresh])

  // Progress arrives as events; a gate for this dream replaces the one shown.
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type !== 'gate_progress') return
        const next = event.gate as Gate | undefined
        if (next && next.dream_id === dreamId) setGate(next)
      }),
    [dreamId],
  )

  const runningId = gate?.status === 'running' ? gate.id : undefined
  useEffect(() => {
    if (!runningId) return
    const timer = setInterval(() => {
      call('evals.gate_get', { id: runningId }).then(
        (g) => setGate((now) => (now?.id === g.id ? g : now)),
        () => {},
      )
    }, POLL_MS)
    return () => clearInterval(timer)
  }, [runningId])

  const act = useCallback(async (work: () => Promise<Gate>) => {
    setBusy(true)
    setError(undefined)
    try {
      setGate(await work())
    } catch (e) {
      setError(message(e))
    } finally {
      setBusy(false)
    }
  }, [])

  if (unsupported) return null
  const start = () => void act(() => call('evals.gate_start', { dream_id: dreamId }))
  const running = gate?.status === 'running'

  return (
    <section className="gate-panel" aria-labelledby={`${ids}-title`} data-testid="gate-panel">
      <h3 id={`${ids}-title`}>Before and after: {agent}’s checks</h3>
      {gate === undefined && !error && <p className="muted small">Looking for the checks’ results…</p>}
      {gate === null && checks === 0 && (
        <p className="muted small" data-testid="gate-no-checks">
          {agent} has no checks yet, so this dream cannot prove it makes nothing worse. Add a few on{' '}
          <Link to={`/agents/${encodeURIComponent(agent)}#checks`}>{agent}’s page</Link> (a task and the rubric that grades
          it), or open a graded session and press “Use as a check”.
        </p>
      )}
      {gate === null && checks !== 0 && (
        <p className="muted small">The checks have not run on this dream yet.</p>
      )}
      {gate && running && (
        <div className="gate-progress" role="group" aria-label="Checks running">
          <progress value={gate.done} max={Math.max(gate.total, 1)} aria-label="Runs done" />
          <span className="small" data-testid="gate-progress">
            {gate.done} of {gate.total} runs done (each check runs before and after)
          </span>
        </div>
      )}
      {gate && <GateView gate={gate} back={{ back: `/dreams?dream=${dreamId}`, backLabel: 'Back to the dream' }} />}
      <ErrorLine text={error} />
      <div className="actions">
        {running && gate ? (
          <button type="button" className="button button-small" disabled={busy} onClick={() => void act(() => call('evals.gate_cancel', { id: gate.id }))}>
            Cancel the checks
          </button>
        ) : (
          (gate || checks !== 0) && (
            <button type="button" className="button button-small" disabled={busy || checks === 0} onClick={start}>
              {gate ? 'Check again' : 'Run the checks'}
            </button>
          )
        )}
      </div>
    </section>
  )
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e))
