/**
 * Dreams › "Overnight": what scheduled dreams did in the last night (the
 * past 18 hours), each in one line with a link to its review. Shown only
 * when there is something to tell. The list comes from the Dreams page.
 */
import type { DreamListItem } from '../../api'
import { overnightItems, overnightLine } from '../../state/overnight'

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
