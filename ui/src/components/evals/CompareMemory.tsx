/**
 * "What did last week's dream change?": the agent's checks run on the memory
 * as two dreams left it, side by side. Pick two dreams, compare, follow the
 * progress (Cancel stops it), then read the per-check results.
 */
import { useEffect, useId, useState } from 'react'
import { ApiError, call, subscribe, type Gate } from '../../api'
import { dreamState } from '../../state/dreamView'
import { formatWhen } from '../../state/memoryTree'
import { useCall } from '../../state/useCall'
import { ErrorLine } from '../NoteLine'
import { GateView } from './GateView'
import '../../styles/evals.css'

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e))

export function CompareMemory({ agent }: { agent: string }) {
  const ids = useId()
  const dreams = useCall('dreams.list', { agent, limit: 50 })
  const choices = dreams.status === 'ok' ? dreams.data.filter((d) => d.dream.status === 'completed') : []
  const [before, setBefore] = useState('')
  const [after, setAfter] = useState('')
  const [gate, setGate] = useState<Gate>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  // Newest first: compare the one before last with the last, unless chosen.
  const afterId = after || choices[0]?.dream.id || ''
  const beforeId = before || choices[1]?.dream.id || ''

  const gateId = gate?.id
  useEffect(
    () =>
      subscribe((event) => {
        const next = event.type === 'gate_progress' ? (event.gate as Gate | undefined) : undefined
        if (next && next.id === gateId) setGate(next)
      }),
    [gateId],
  )

  const act = async (work: () => Promise<Gate>) => {
    setBusy(true)
    setError(undefined)
    try {
      setGate(await work())
    } catch (e) {
      setError(message(e))
    } finally {
      setBusy(false)
    }
  }

  const label = (d: (typeof choices)[number]) =>
    `Dream of ${formatWhen(d.dream.created_at)} (${dreamState(d.dream).toLowerCase()})`

  return (
    <section className="editor-section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Compare memory</h2>
      <p className="muted small">
        What did a dream change? Run {agent}’s checks with the memory as one dream left it and as another left it.
      </p>
      {dreams.status === 'error' && <ErrorLine text={dreams.error.message} />}
      {dreams.status === 'ok' && choices.length < 2 && (
        <p className="field-hint">There is nothing to compare until {agent} has dreamt at least twice.</p>
      )}
      {choices.length >= 2 && (
        <form
          className="compare-form"
          aria-label="Compare memory"
          onSubmit={(e) => {
            e.preventDefault()
            if (beforeId && afterId && beforeId !== afterId) void act(() => call('evals.compare', { agent, before: beforeId, after: afterId }))
          }}
        >
          <label className="field" htmlFor={`${ids}-before`}>
            Memory after
            <select id={`${ids}-before`} value={beforeId} onChange={(e) => setBefore(e.target.value)}>
              {choices.map((d) => (
                <option key={d.dream.id} value={d.dream.id}>
                  {label(d)}
                </option>
              ))}
            </select>
          </label>
          <label className="field" htmlFor={`${ids}-after`}>
            Against the memory after
            <select id={`${ids}-after`} value={afterId} onChange={(e) => setAfter(e.target.value)}>
              {choices.map((d) => (
                <option key={d.dream.id} value={d.dream.id}>
                  {label(d)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button button-small" disabled={busy || gate?.status === 'running' || beforeId === afterId}>
            Compare
          </button>
          {beforeId === afterId && <span className="field-hint">Pick two different dreams.</span>}
        </form>
      )}
      <ErrorLine text={error} />
      {gate?.status === 'running' && (
        <div className="gate-progress" role="group" aria-label="Comparison running">
          <progress value={gate.done} max={Math.max(gate.total, 1)} aria-label="Runs done" />
          <span className="small">
            {gate.done} of {gate.total} runs done (each check runs on both memories)
          </span>
          <button type="button" className="button button-small" disabled={busy} onClick={() => void act(() => call('evals.gate_cancel', { id: gate.id }))}>
            Cancel the comparison
          </button>
        </div>
      )}
      {gate && <GateView gate={gate} />}
    </section>
  )
}
