/**
 * The pass-rate chart's data: a series' points as rows the chart plots (the
 * chosen figure per day), the dream markers that fall on an agent, and the
 * words for each figure.
 */
import type { Series, SeriesMarker, SeriesPoint } from '../api'

export type Metric = 'pass_rate' | 'mean_score' | 'mean_attempts'

export const METRICS: { id: Metric; label: string; axis: string }[] = [
  { id: 'pass_rate', label: 'Pass rate', axis: 'Share of runs that passed' },
  { id: 'mean_score', label: 'Mean score', axis: 'Mean score' },
  { id: 'mean_attempts', label: 'Attempts', axis: 'Attempts per outcome' },
]

export interface ChartRow {
  /** Milliseconds since 1970 at the start of the day (UTC). */
  t: number
  day: string
  value: number | null
  point: SeriesPoint
}

export const dayTime = (day: string) => Date.parse(day.length === 10 ? `${day}T00:00:00Z` : day)

export function chartRows(series: Series, metric: Metric): ChartRow[] {
  return series.points
    .map((point) => {
      const raw = point[metric]
      // Rates and scores as percentages; attempts as they are.
      const value = raw === null ? null : metric === 'mean_attempts' ? Math.round(raw * 100) / 100 : Math.round(raw * 100)
      return { t: dayTime(point.day), day: point.day, value, point }
    })
    .sort((a, b) => a.t - b.t)
}

/** A marker at the start of its day, so it lines up with that day's point. */
export function markerRows(markers: SeriesMarker[], agent: string) {
  return markers
    .filter((m) => m.agent === agent)
    .map((m) => ({ ...m, t: dayTime(m.at.slice(0, 10)) }))
    .sort((a, b) => a.t - b.t)
}

export function formatValue(value: number | null, metric: Metric): string {
  if (value === null) return '—'
  return metric === 'mean_attempts' ? String(value) : `${value}%`
}

export const formatDay = (t: number) =>
  new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
