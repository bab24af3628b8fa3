/**
 * The sessions a dream read or a change came from, named by their task (not
 * an id), each a link to its timeline that remembers the way back to this
 * dream. `useSessionTitles` fetches the titles of one agent's sessions once.
 */
import { useEffect, useState } from 'react'
import { Link } from 'react-router'
import { call } from '../../api'

export type Titles = Map<string, string>

export function useSessionTitles(agent: string | undefined): Titles {
  const [titles, setTitles] = useState<Titles>(new Map())
  useEffect(() => {
    if (!agent) return
    let live = true
    call('sessions.overview', { agent, limit: 5000 }).then(
      (list) => live && setTitles(new Map(list.map((s) => [s.id, s.task]))),
      () => {},
    )
    return () => {
      live = false
    }
  }, [agent])
  return titles
}

/** A task as a short title: its first line, at most 70 characters. */
export function shortTitle(task: string | undefined, id: string): string {
  const line = (task ?? '').split('\n').find((l) => l.trim())?.trim()
  if (!line) return `Session from ${id.slice(-6)}`
  return line.length > 70 ? `${line.slice(0, 69)}…` : line
}

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
