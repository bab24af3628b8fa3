/**
 * The morning after: which scheduled dreams ran in the last night, and one
 * line each on what they did. Pure.
 */
import type { DreamListItem } from '../api'

export const OVERNIGHT_HOURS = 18

export function overnightItems(items: DreamListItem[], now: Date = new Date()): DreamListItem[] {
  const since = now.getTime() - OVERNIGHT_HOURS * 3600 * 1000
  return items.filter((i) => i.dream.trigger === 'schedule' && new Date(i.dream.created_at).getTime() >= since)
}

export function overnightLine(item: DreamListItem): string {
  const { dream, agent, edits } = item
  const waiting = edits.filter((e) => e.decision === 'pending').length
  const changes = (n: number) => `${n} ${n === 1 ? 'change' : 'changes'}`
  switch (dream.status) {
    case 'completed':
      if (waiting > 0) return `${agent} has ${changes(waiting)} to review`
      if (dream.review === 'applied' || dream.review === 'partially_applied') return `${agent} updated its memory (${changes(edits.length)})`
      if (edits.length === 0) return `${agent} found nothing to change`
      return `${agent} dreamed`
    case 'failed':
      return `${agent}'s dream failed${dream.error ? `: ${dream.error}` : ''}`
    case 'canceled':
      return `${agent}'s dream was canceled`
    default:
      return `${agent} is dreaming now`
  }
}
