/**
 * One badge per session that agrees with how it really went: a completed
 * run whose grade failed, whose grading failed, or whose imported source
 * says it failed is not shown as a green "Completed". Pure.
 */
import type { ImportedSource, OutcomeResult, SessionStatus } from '../api'

export type Tone = 'good' | 'bad' | 'warn' | 'busy' | 'plain'

export function sessionBadge(s: {
  status: SessionStatus
  outcome?: { result: OutcomeResult | null } | null
  imported?: ImportedSource | null
}): { text: string; tone: Tone } {
  switch (s.status) {
    case 'running':
      return { text: 'Running', tone: 'busy' }
    case 'failed':
      return { text: 'Failed', tone: 'bad' }
    case 'interrupted':
      return { text: 'Interrupted', tone: 'bad' }
    case 'canceled':
      return { text: 'Canceled', tone: 'plain' }
  }
  const result = s.outcome?.result
  if (s.outcome) {
    switch (result) {
      case 'satisfied':
        return { text: 'Passed', tone: 'good' }
      case 'max_iterations_reached':
        return { text: 'Did not pass', tone: 'bad' }
      case 'failed':
        return { text: 'Rubric does not fit', tone: 'warn' }
      case 'interrupted':
        return { text: 'Grading failed', tone: 'warn' }
      case 'needs_revision':
        return { text: 'Needs revision', tone: 'warn' }
      default:
        return { text: 'Grading', tone: 'busy' }
    }
  }
  const verdict = s.imported?.outcome?.passed
  if (verdict === false) return { text: 'Failed at the source', tone: 'bad' }
  return { text: 'Completed', tone: 'good' }
}
