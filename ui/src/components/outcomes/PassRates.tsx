/**
 * Pass rates over time for one agent (or all): one chart per agent and
 * rubric from `outcomes.series`, a choice of figure (pass rate, mean score,
 * attempts) and of rubric. Loaded lazily with recharts.
 */
import { useId, useState } from 'react'
import { useCall } from '../../state/useCall'
import { useSessionTitles } from '../../state/sessionTitles'
import { METRICS, type Metric } from '../../state/seriesView'
import { CallError } from '../CallError'
import { PassRateChart } from './PassRateChart'
import type { Series, SeriesMarker } from '../../api'

export function PassRates({ agent, since }: { agent?: string; since?: string }) {
  const ids = useId()
  const [metric, setMetric] = useState<Metric>('pass_rate')
  const [rubric, setRubric] = useState('')
  const answer = useCall('outcomes.series', { ...(agent ? { agent } : {}), ...(since ? { since } : {}) })
  if (answer.status === 'loading') return <p className="muted small">Loading results…</p>
  if (answer.status === 'error') return <CallError error={answer.error} />
  const { series, markers } = answer.data
  const rubrics = [...new Set(series.map((s) => s.rubric))].sort()
  const shown = series.filter((s) => s.points.length > 0 && (!rubric || s.rubric === rubric))
  if (series.every((s) => s.points.length === 0)) {
    return (
      <p className="muted small" data-testid="no-results">
        No graded runs yet. Give {agent ?? 'an agent'} a rubric and run a few tasks; their pass rate shows up here day by day.
      </p>
    )
  }
  return (
    <div className="pass-rates">
      <div className="pass-rates-controls">
        <fieldset className="segmented">
          <legend className="visually-hidden">Figure to show</legend>
          {METRICS.map((m) => (
            <label key={m.id} className="segment">
              <input type="radio" name={`${ids}-metric`} checked={metric === m.id} onChange={() => setMetric(m.id)} />
              <span>{m.label}</span>
            </label>
          ))}
        </fieldset>
        {rubrics.length > 1 && (
          <label className="field field-inline" htmlFor={`${ids}-rubric`}>
            Rubric
            <select id={`${ids}-rubric`} value={rubric} onChange={(e) => setRubric(e.target.value)}>
              <option value="">All rubrics</option>
              {rubrics.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {shown.map((s) => (
        <SeriesChart key={`${s.agent}:${s.rubric}`} series={s} markers={markers} metric={metric} />
      ))}
    </div>
  )
}

function SeriesChart({ series, markers, metric }: { series: Series; markers: SeriesMarker[]; metric: Metric }) {
  const titles = useSessionTitles(series.agent)
  return <PassRateChart series={series} markers={markers} metric={metric} titles={titles} />
}
