/**
 * "Dream now" for one agent: what the dream would read and roughly cost
 * (asked of the engine before anything runs), then Start, live progress from
 * the engine's `dream_*` events, and Cancel. It reports the new dream's id so
 * the page can open it when it finishes.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react'
import { ApiError, call, subscribe, type Agent, type ApiEvent, type DreamEstimate } from '../../api'
import { applyDreamEvent, formatCost, plural, type DreamProgressView } from '../../state/dreamView'
import { Options } from '../Options'
import { ErrorLine } from '../NoteLine'

interface DreamNowProps {
  agents: Agent[]
  onStarted: (dreamId: string) => void
  onFinished: (dreamId: string) => void
}

export function DreamNow({ agents, onStarted, onFinished }: DreamNowProps) {
  const ids = useId()
  const [agent, setAgent] = useState(agents[0]?.name ?? '')
  const [instructions, setInstructions] = useState('')
  const [answer, setAnswer] = useState<{ key: string; estimate?: DreamEstimate; error?: string }>()
  const [error, setError] = useState<string>()
  const [progress, setProgress] = useState<DreamProgressView>()
  const [estimateKey, setEstimateKey] = useState(0)
  const [runningId, setRunningId] = useState<string>()
  const dreamId = useRef<string | undefined>(undefined)
  const early = useRef<ApiEvent[]>([])
  const handlers = useRef({ onFinished })
  useLayoutEffect(() => {
    handlers.current = { onFinished }
  })

  // The estimate for the chosen agent; an answer for another agent is not shown.
  const key = `${agent}:${estimateKey}`
  const estimate = answer?.key === key ? answer.estimate : undefined
  const estimateError = answer?.key === key ? answer.error : undefined
  useEffect(() => {
    if (!agent) return
    let live = true
    call('dreams.estimate', { agent }).then(
      (estimate) => live && setAnswer({ key, estimate }),
      (e) => live && setAnswer({ key, error: e instanceof ApiError ? e.message : String(e) }),
    )
    return () => {
      live = false
    }
  }, [agent, key])

  useEffect(
    () =>
      subscribe((event) => {
        if (!event.type.startsWith('dream_')) return
        if (dreamId.current === undefined) {
          early.current.push(event)
          return
        }
        if (event.dream_id !== dreamId.current) return
        setProgress((view) => view && applyDreamEvent(view, event))
        if (event.type === 'dream_finished') {
          handlers.current.onFinished(dreamId.current)
          // What a next dream would read has changed.
          setEstimateKey((k) => k + 1)
        }
      }),
    [],
  )

  const running = progress !== undefined && progress.phase !== 'finished'

  const start = async () => {
    setError(undefined)
    dreamId.current = undefined
    setRunningId(undefined)
    early.current = []
    setProgress({ phase: 'starting', line: 'Starting the dream…' })
    try {
      const dream = await call('dreams.start', { agent, instructions: instructions.trim() || undefined })
      dreamId.current = dream.id
      setRunningId(dream.id)
      onStarted(dream.id)
      const mine = early.current.filter((e) => e.dream_id === dream.id)
      early.current = []
      setProgress((view) => mine.reduce(applyDreamEvent, view ?? { phase: 'starting', line: '' }))
      if (mine.some((e) => e.type === 'dream_finished')) {
        onFinished(dream.id)
        setEstimateKey((k) => k + 1)
      }
    } catch (e) {
      setProgress(undefined)
      setError(e instanceof ApiError ? e.message : String(e))
    }
  }

  const cancel = async () => {
    if (!dreamId.current) return
    try {
      await call('dreams.cancel', { id: dreamId.current })
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    }
  }

  const nothing = estimate && estimate.session_ids.length === 0

  return (
    <section className="panel dream-now" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Dream now</h2>
      <div className="field-row">
        <label className="field">
          <span>Agent</span>
          <select
            value={agent}
            onChange={(e) => {
              setAgent(e.target.value)
              setProgress(undefined)
            }}
            disabled={running}
          >
            <Options choices={agents.map((a) => a.name)} />
          </select>
        </label>
        <label className="field">
          <span>Instructions (optional)</span>
          <input value={instructions} onChange={(e) => setInstructions(e.target.value)} placeholder="Focus on my writing preferences" disabled={running} />
        </label>
      </div>
      <p className="small" role="status" data-testid="dream-estimate">
        {estimateError
          ? estimateError
          : !estimate
            ? 'Working out what this dream would read…'
            : nothing
              ? `${estimate.agent} has no finished sessions that a dream has not read yet; run a task first.`
              : `Reads ${plural(estimate.session_ids.length, 'session')} (about ${estimate.estimated_input_tokens.toLocaleString('en')} tokens in ${plural(estimate.calls, 'model call')}), costing about ${formatCost(estimate.estimated_cost_usd)}.${
                  estimate.deferred_session_ids?.length
                    ? ` ${plural(estimate.deferred_session_ids.length, 'more session')} will wait for the next dream (the budget is ${(estimate.budget_tokens ?? 0).toLocaleString('en')} tokens).`
                    : ''
                } Nothing changes until you review the proposal.`}
      </p>
      <div className="actions">
        <button type="button" className="button button-primary" onClick={() => void start()} disabled={running || !estimate || nothing}>
          Start dream
        </button>
        {running && (
          <button type="button" className="button" onClick={() => void cancel()} disabled={!runningId}>
            Cancel
          </button>
        )}
      </div>
      <ErrorLine text={error} />
      {progress && (
        <div className={`dream-progress dream-progress-${progress.phase}`}>
          <div role="status" aria-live="polite" data-testid="dream-progress">
            {progress.summary && <p className="dream-summary">{progress.summary}</p>}
            <p>{progress.line}</p>
          </div>
          {progress.phase === 'finished' && (
            <button type="button" className="button button-small" onClick={() => setProgress(undefined)}>
              Done
            </button>
          )}
        </div>
      )}
    </section>
  )
}
