/** The dreams, newest first: who dreamt, when, how it was started, what it read and proposed, and where it stands. */
import type { DreamListItem } from '../../api'
import { dreamState, formatCost, plural, TRIGGER_LABEL } from '../../state/dreamView'
import { formatWhen } from '../../state/memoryTree'
import { arrowFocus } from '../memory/listNavigation'

const TONE: Record<string, string> = {
  'Waiting for review': 'badge-accent',
  Applied: 'badge-ok',
  'Partly applied': 'badge-ok',
  Failed: 'badge-danger',
}

const move = arrowFocus('button.dream-row')

export function DreamList({ items, selected, onOpen }: { items: DreamListItem[]; selected?: string; onOpen: (id: string) => void }) {
  return (
    <nav aria-label="Dreams" onKeyDown={move}>
      <ul className="dream-list">
        {items.map(({ dream, agent, edits }) => {
          const state = dreamState(dream)
          return (
            <li key={dream.id}>
              <button type="button" className="dream-row" aria-current={selected === dream.id ? 'true' : undefined} onClick={() => onOpen(dream.id)}>
                <span className="dream-row-top">
                  <span className="dream-agent">{agent}</span>
                  <span className={`badge ${TONE[state] ?? ''}`}>{state}</span>
                </span>
                <span className="dream-row-meta">
                  {formatWhen(dream.created_at)} · {TRIGGER_LABEL[dream.trigger] ?? dream.trigger}
                </span>
                <span className="dream-row-meta">
                  {plural(dream.session_ids.length, 'session')} read · {plural(edits.length, 'change')} · {formatCost(dream.cost_usd)}
                </span>
              </button>
            </li>
          )
        })}
      </ul>
    </nav>
  )
}
