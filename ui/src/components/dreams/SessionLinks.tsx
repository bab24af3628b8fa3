/**
 * The sessions a dream read or a change came from, named by their task (not
 * an id), each a link to its timeline that remembers the way back to this
 * dream. `useSessionTitles` fetches the titles of one agent's sessions once.
 */
import { Link } from 'wouter'
import { shortTitle, type Titles } from '../../state/sessionTitles'

/** A link to a session that knows how to get back to the dream. */
export function SessionLink({ id, titles, dreamId }: { id: string; titles: Titles; dreamId: string }) {
  return (
    <Link to={`/sessions/${id}`} state={{ back: `/dreams?dream=${dreamId}`, backLabel: 'Back to the dream' }}>
      {shortTitle(titles.get(id), id)}
    </Link>
  )
}

/** "120 sessions" with their titles behind a disclosure. */
export function SessionList({ ids, titles, dreamId }: { ids: string[]; titles: Titles; dreamId: string }) {
  if (ids.length === 0) return <>no sessions</>
  return (
    <details className="session-list" data-testid="dream-sessions">
      <summary>
        {ids.length} {ids.length === 1 ? 'session' : 'sessions'}
      </summary>
      <ul>
        {ids.map((id) => (
          <li key={id}>
            <SessionLink id={id} titles={titles} dreamId={dreamId} />
          </li>
        ))}
      </ul>
    </details>
  )
}
