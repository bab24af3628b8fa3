/**
 * One agent and rubric over time (recharts): pass rate, mean score or
 * attempts per day, with a marker at each dream applied or reverted.
 * Hovering a point lists its sessions; clicking it lists them below as
 * links. The same figures are in a table for keyboards and screen readers.
 */
import { useId, useState } from 'react'
import { Link } from 'wouter'
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis, type MouseHandlerDataParam } from 'recharts'
import type { Series, SeriesMarker } from '../../api'
import { chartRows, formatDay, formatValue, markerRows, METRICS, type ChartRow, type Metric } from '../../state/seriesView'
import { shortTitle, type Titles } from '../../state/sessionTitles'

interface ChartProps {
  series: Series
  markers: SeriesMarker[]
  metric: Metric
  titles: Titles
  /** A fixed size (tests); else the chart takes its box's width. */
  width?: number
  height?: number
}

export function PassRateChart({ series, markers, metric, titles, width, height = 220 }: ChartProps) {
  const ids = useId()
  const rows = chartRows(series, metric)
  const marks = markerRows(markers, series.agent)
  const [picked, setPicked] = useState<ChartRow>()
  const label = METRICS.find((m) => m.id === metric)?.label ?? metric
  const percent = metric !== 'mean_attempts'

  // A click anywhere on the chart picks the day the tooltip shows: once the
  // pointer is over a point, recharts draws its highlight on top of it, so
  // the point itself would not get the click.
  const pickActive = ({ activeIndex }: MouseHandlerDataParam) => {
    const row = activeIndex === undefined || activeIndex === null ? undefined : rows[Number(activeIndex)]
    if (row && row.value !== null) setPicked(row)
  }

  const chart = (
    <LineChart accessibilityLayer={false} data={rows} onClick={pickActive} style={{ cursor: 'pointer' }} width={width} height={width ? height : undefined} margin={{ top: 16, right: 16, bottom: 4, left: 0 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--border, #ccc)" />
      <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={formatDay} fontSize={12} />
      <YAxis domain={percent ? [0, 100] : [0, 'auto']} tickFormatter={(v: number) => (percent ? `${v}%` : String(v))} fontSize={12} width={44} />
      <Tooltip content={<PointTip metric={metric} titles={titles} />} />
      {marks.map((m) => (
        <ReferenceLine
          key={`${m.dream_id}:${m.kind}`}
          x={m.t}
          ifOverflow="extendDomain"
          stroke={m.kind === 'applied' ? 'var(--accent, #5b5bd6)' : 'var(--warn, #c27c0e)'}
          strokeDasharray="4 3"
          label={{ value: m.kind === 'applied' ? 'Dream applied' : 'Dream reverted', position: 'insideTopLeft', fontSize: 11 }}
          className={`chart-marker chart-marker-${m.kind}`}
        />
      ))}
      <Line
        type="monotone"
        dataKey="value"
        name={label}
        stroke="var(--accent, #5b5bd6)"
        strokeWidth={2}
        connectNulls
        isAnimationActive={false}
        dot={(props: { cx?: number; cy?: number; index?: number; payload?: ChartRow }) => {
          const { cx, cy, index, payload } = props
          if (cx === undefined || cy === undefined || !payload || payload.value === null) return <g key={index} />
          return (
            <circle
              key={index}
              cx={cx}
              cy={cy}
              r={4}
              className="chart-point"
              data-day={payload.day}
              fill="var(--surface, #fff)"
              stroke="var(--accent, #5b5bd6)"
              strokeWidth={2}
              style={{ cursor: 'pointer' }}
              onClick={() => setPicked(payload)}
            />
          )
        }}
      />
    </LineChart>
  )

  return (
    <figure className="pass-chart" aria-labelledby={`${ids}-title`} data-testid="pass-chart">
      <figcaption id={`${ids}-title`}>
        <strong>{series.agent}</strong> · graded with {series.rubric} · {label.toLowerCase()}
      </figcaption>
      <div className="pass-chart-plot" aria-hidden="true">
        {width ? chart : <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>{chart}</ResponsiveContainer>}
      </div>
      {marks.length > 0 && (
        <ul className="chart-markers small" aria-label="Dreams">
          {marks.map((m) => (
            <li key={`${m.dream_id}:${m.kind}`}>
              <Link to={`/dreams?dream=${m.dream_id}`}>
                Dream {m.kind === 'applied' ? 'applied' : 'reverted'} {formatDay(m.t)}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {picked && (
        <div className="chart-picked" role="region" aria-label={`Sessions on ${formatDay(picked.t)}`}>
          <p className="small">
            {formatDay(picked.t)}: {formatValue(picked.value, metric)} over {picked.point.runs} run{picked.point.runs === 1 ? '' : 's'}
          </p>
          <SessionLinks ids={picked.point.session_ids} titles={titles} />
        </div>
      )}
      <details className="chart-table">
        <summary>Show as a table</summary>
        <table aria-label={`${label} per day for ${series.agent} with ${series.rubric}`}>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">{label}</th>
              <th scope="col">Runs</th>
              <th scope="col">Sessions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.day} data-testid="chart-row">
                <th scope="row">{formatDay(r.t)}</th>
                <td>{formatValue(r.value, metric)}</td>
                <td>{r.point.runs}</td>
                <td>
                  <SessionLinks ids={r.point.session_ids} titles={titles} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}

function SessionLinks({ ids, titles }: { ids: string[]; titles: Titles }) {
  if (ids.length === 0) return <span className="muted">none</span>
  return (
    <ul className="chart-sessions">
      {ids.map((id) => (
        <li key={id}>
          <Link to={`/sessions/${id}`}>{shortTitle(titles.get(id), id)}</Link>
        </li>
      ))}
    </ul>
  )
}

interface TipProps {
  active?: boolean
  payload?: { payload: ChartRow }[]
  metric: Metric
  titles: Titles
}

/** What hovering a point shows: the day, the figure and its sessions. */
function PointTip({ active, payload, metric, titles }: TipProps) {
  const row = active ? payload?.[0]?.payload : undefined
  if (!row) return null
  const shown = row.point.session_ids.slice(0, 6)
  const more = row.point.session_ids.length - shown.length
  return (
    <div className="chart-tip" data-testid="chart-tip">
      <p>
        <strong>{formatDay(row.t)}</strong>: {formatValue(row.value, metric)} · {row.point.runs} run{row.point.runs === 1 ? '' : 's'}
      </p>
      <ul>
        {shown.map((id) => (
          <li key={id}>{shortTitle(titles.get(id), id)}</li>
        ))}
        {more > 0 && <li>and {more} more</li>}
      </ul>
      <p className="muted">Click the point to open them.</p>
    </div>
  )
}
