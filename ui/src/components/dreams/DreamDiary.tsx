/** The dream diary: what each dream learned, in plain words, newest first. */
import type { DreamListItem } from '../../api'
import { diaryEntries } from '../../state/dreamView'
import { formatWhen } from '../../state/memoryTree'

export function DreamDiary({ items, onOpen }: { items: DreamListItem[]; onOpen: (id: string) => void }) {
  const entries = diaryEntries(items)
  if (entries.length === 0) return <p className="muted">The diary fills in as dreams finish.</p>
  return (
    <ol className="diary" aria-label="Dream diary">
      {entries.map((entry) => (
        <li key={entry.id} className="diary-entry">
          <article aria-labelledby={`diary-${entry.id}`}>
            <p className="diary-when">
              <time dateTime={entry.when}>{formatWhen(entry.when)}</time>
            </p>
            <h3 id={`diary-${entry.id}`}>{entry.title}</h3>
            {entry.learned.length > 0 && (
              <ul className="diary-learned">
                {entry.learned.map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ul>
            )}
            <p className="muted small">
              {entry.outcome}{' '}
              <button type="button" className="link-button" onClick={() => onOpen(entry.id)}>
                Open this dream
              </button>
            </p>
          </article>
        </li>
      ))}
    </ol>
  )
}
