/**
 * Dreams › "Overnight": what scheduled dreams did in the last night (the
 * past 18 hours), each in one line with a link to its review. Shown only
 * when there is something to tell. The list comes from the Dreams page.
 */
import type { DreamListItem } from '../../api'

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

export function OvernightCard({ items, onOpen }: { items: DreamListItem[]; onOpen: (id: string) => void }) {
  const overnight = overnightItems(items)
  if (overnight.length === 0) return null
  return (
    <section className="notice overnight" aria-labelledby="overnight-title" data-testid="overnight">
      <h2 id="overnight-title" className="overnight-title">
        Overnight
      </h2>
      <ul className="overnight-list">
        {overnight.map((item) => (
          <li key={item.dream.id}>
            {overnightLine(item)}{' '}
            <time dateTime={item.dream.created_at}>
              ({new Date(item.dream.created_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })})
            </time>{' '}
            <button type="button" className="link-button" onClick={() => onOpen(item.dream.id)}>
              Review
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
