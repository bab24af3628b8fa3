/**
 * What the Dreams screen shows, folded from engine data: a running dream's
 * progress from its `dream_*` events, the words for statuses, how far a
 * review has got, and the diary's plain sentences. Pure; never calls the engine.
 */
import type { ApiEvent, Dream, DreamListItem, EditSummary } from '../api'

export interface DreamProgressView {
  dreamId?: string
  phase: 'starting' | 'reviewing' | 'consolidating' | 'finished'
  /** What the dream reads, once it has started. */
  summary?: string
  /** The step it is on, or how it ended. */
  line: string
  finished?: { status: string; edits: number; applied: boolean; held?: string; error?: string }
}

/** Folds one `dream_*` event of this dream into the progress line. */
export function applyDreamEvent(view: DreamProgressView, event: ApiEvent): DreamProgressView {
  const n = (v: unknown) => Number(v ?? 0)
  switch (event.type) {
    case 'dream_started':
      return {
        ...view,
        dreamId: String(event.dream_id),
        phase: 'reviewing',
        summary: `Dreaming over ${plural(n(event.sessions), 'session')} (about ${n(event.estimated_tokens).toLocaleString('en')} tokens).`,
        line: 'Reading the sessions…',
      }
    case 'dream_reviewing':
      return { ...view, phase: 'reviewing', line: `Reviewing part ${n(event.chunk)} of ${n(event.chunks)}…` }
    case 'dream_consolidating':
      return { ...view, phase: 'consolidating', line: 'Comparing what it found with the current memory…' }
    case 'dream_retrying':
      return { ...view, line: `The model's answer was not usable (${String(event.error)}); asking once more…` }
    case 'dream_finished': {
      const finished = {
        status: String(event.status),
        edits: n(event.edits),
        applied: Boolean(event.applied),
        held: typeof event.held_for_review === 'string' ? event.held_for_review : undefined,
        error: typeof event.error === 'string' ? event.error : undefined,
      }
      return { ...view, phase: 'finished', line: finishedLine(finished), finished }
    }
    default:
      return view
  }
}

function finishedLine(f: NonNullable<DreamProgressView['finished']>): string {
  if (f.status === 'canceled') return 'Canceled. Memory was not changed.'
  if (f.status === 'failed') return `The dream stopped: ${f.error ?? 'unknown error'}`
  if (f.edits === 0) return 'Finished: nothing worth changing this time.'
  if (f.applied) return `Finished and applied ${plural(f.edits, 'change')}.`
  return `Finished: ${plural(f.edits, 'change')} to review.${f.held ? ` Held for review because ${f.held}.` : ''}`
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`
}

export const STATUS_LABEL: Record<string, string> = {
  pending: 'Waiting',
  running: 'Dreaming…',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
}

export const REVIEW_LABEL: Record<string, string> = {
  none: '',
  staged: 'Waiting for review',
  applied: 'Applied',
  partially_applied: 'Partly applied',
  rejected: 'Rejected',
  reverted: 'Reverted',
}

export const TRIGGER_LABEL: Record<string, string> = {
  schedule: 'Scheduled',
  tray: 'From the tray',
  ui: 'Dream now',
  cli: 'Command line',
}

export const OP_LABEL: Record<string, string> = {
  create: 'New document',
  rewrite: 'Rewrite',
  merge: 'Merge',
  delete: 'Delete',
}

/** The one word that sums a dream up in a list: its review state once completed. */
export function dreamState(d: Dream): string {
  if (d.status !== 'completed') return STATUS_LABEL[d.status] ?? d.status
  return REVIEW_LABEL[d.review] || 'Completed'
}

/** Counts of a proposal's decisions, for the Apply bar. */
export function decisionCounts(edits: { decision: string }[]) {
  const c = { accepted: 0, rejected: 0, pending: 0 }
  for (const e of edits) {
    if (e.decision === 'accepted') c.accepted++
    else if (e.decision === 'rejected') c.rejected++
    else if (e.decision === 'pending') c.pending++
  }
  return c
}

export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return 'unknown cost (no price for this model)'
  if (usd === 0) return '$0.00'
  return usd < 0.01 ? '< $0.01' : `$${usd.toFixed(2)}`
}

export interface DiaryEntry {
  id: string
  when: string
  agent: string
  title: string
  learned: string[]
  outcome: string
}

function learnedLines(edits: EditSummary[]): string[] {
  // The index only lists documents; its reason says nothing new.
  return edits
    .filter((e) => !e.path.endsWith('/_index.md'))
    .map(
      (e) =>
        `${e.reason} (${OP_LABEL[e.op]?.toLowerCase() ?? e.op} ${e.path})${e.decision === 'rejected' ? ' — you rejected this' : ''}`,
    )
}

/** The diary: one plain entry per finished dream, newest first. */
export function diaryEntries(items: DreamListItem[]): DiaryEntry[] {
  return items
    .filter(({ dream }) => dream.status !== 'running' && dream.status !== 'pending')
    .sort((a, b) => (a.dream.created_at < b.dream.created_at ? 1 : -1))
    .map(({ dream, agent, edits }) => {
      const read = plural(dream.session_ids.length, 'session')
      let title: string
      let outcome: string
      if (dream.status === 'failed') {
        title = `${agent} tried to dream over ${read} but could not finish.`
        outcome = dream.error ?? 'The dream failed; memory was not changed.'
      } else if (dream.status === 'canceled') {
        title = `${agent}’s dream over ${read} was canceled.`
        outcome = 'Memory was not changed.'
      } else if (edits.length === 0) {
        title = `${agent} read ${read} and found nothing worth keeping.`
        outcome = 'Memory stayed as it was.'
      } else {
        title = `${agent} read ${read} and proposed ${plural(edits.length, 'change')}.`
        outcome =
          {
            staged: 'Waiting for your review.',
            applied: 'All changes were applied.',
            partially_applied: `${plural(edits.filter((e) => e.decision === 'applied' || e.decision === 'reverted').length, 'change')} applied, the rest rejected.`,
            rejected: 'You rejected the proposal; memory was not changed.',
            reverted: 'Applied, then reverted.',
            none: '',
          }[dream.review] ?? ''
      }
      return { id: dream.id, when: dream.created_at, agent, title, learned: learnedLines(edits), outcome }
    })
}
