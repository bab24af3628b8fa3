/**
 * Sessions named by their task, not an id: `useSessionTitles` fetches one
 * agent's session titles once; `shortTitle` makes a task a short title.
 */
import { useEffect, useState } from 'react'
import { call } from '../api'

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
