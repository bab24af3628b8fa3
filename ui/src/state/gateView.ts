/**
 * The regression gate in words: a check's side (before or after a dream) as
 * one word, scores as percentages, score changes as points, and the order
 * the review shows checks in (regressions first).
 */
import type { Gate, GateSide, GateTaskResult } from '../api'

export const percent = (score: number | null | undefined) =>
  score === null || score === undefined ? '—' : `${Math.round(score * 100)}%`

/** "+5 points", "−12 points", "no change"; "—" when one side has no score. */
export function scoreChange(change: number | null): string {
  if (change === null) return '—'
  const points = Math.round(change * 100)
  if (points === 0) return 'no change'
  return `${points > 0 ? '+' : '−'}${Math.abs(points)} point${Math.abs(points) === 1 ? '' : 's'}`
}

/** One side of a check, as one word or two. */
export function sideLabel(side: GateSide): string {
  switch (side.status) {
    case 'pending':
      return 'Waiting'
    case 'running':
      return 'Running…'
    case 'failed':
      return 'Could not run'
    default:
      return side.passed === null ? 'Not graded' : side.passed ? 'Passed' : 'Failed'
  }
}

/** Regressions first, then the engine's order. */
export function regressionsFirst(tasks: GateTaskResult[]): GateTaskResult[] {
  return [...tasks.filter((t) => t.regression), ...tasks.filter((t) => !t.regression)]
}

export const gateRunning = (gate: Gate) => gate.status === 'running'

/** "Held for review", "Passed", ... for the badge beside the verdict. */
export const GATE_STATUS_LABEL: Record<Gate['status'], string> = {
  running: 'Checking',
  passed: 'No regressions',
  regressed: 'Held for review',
  failed: 'Could not check',
  canceled: 'Canceled',
}

/** Seconds or minutes, for a check's time. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  return `${m} min ${s % 60} s`
}
