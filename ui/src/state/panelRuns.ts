/**
 * The run panel's runs, one per agent, kept while the app is open. A run is
 * followed here, not in the panel, so leaving the Agents screen (for the
 * run's timeline, say) and coming back shows the run as it stands, still
 * live, and the task typed so far.
 */
import { useEffect, useSyncExternalStore } from 'react'
import { ApiError, call, subscribe, type ApiEvent } from '../api'
import { applyEvent, emptyRun, type RunView } from './runView'

export interface PanelRun {
  task: string
  run?: RunView
  sessionId?: string
  startError?: string
  /** When the run last heard from the engine (ms since the epoch), for the "no word" note. */
  lastEventAt: number
}

const BLANK: PanelRun = { task: '', lastEventAt: 0 }
const runs = new Map<string, PanelRun>()
const listeners = new Set<() => void>()

function update(agent: string, change: (now: PanelRun) => PanelRun) {
  runs.set(agent, change(runs.get(agent) ?? BLANK))
  listeners.forEach((listener) => listener())
}

function listen(listener: () => void) {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

// ---- one subscription to the engine's events, held while needed ----

/** For each run waiting for run.start to name its session: the events seen meanwhile. */
const starting = new Set<ApiEvent[]>()
/** The runs being followed: session id → its agent, and its hold on the stream. */
const followed = new Map<string, { agent: string; release: () => void }>()
/** Held by every open panel (so the stream is connected before a run starts) and every unfinished run. */
let holders = 0
let generation = 0
let unsubscribe: (() => void) | undefined

function onEvent(event: ApiEvent) {
  const id = event.session_id
  if (typeof id !== 'string') return
  starting.forEach((early) => early.push(event))
  const agent = followed.get(id)?.agent
  if (agent === undefined) return
  update(agent, (r) => (r.sessionId === id && r.run ? { ...r, lastEventAt: Date.now(), run: applyEvent(r.run, event) } : r))
  if (!running(runs.get(agent)?.run)) unfollow(id)
}

/** Keeps the event stream open until the returned release is called (once). */
function hold(): () => void {
  if (holders++ === 0) unsubscribe = subscribe(onEvent)
  const mine = generation
  let released = false
  return () => {
    if (released || mine !== generation) return
    released = true
    if (--holders === 0) {
      unsubscribe?.()
      unsubscribe = undefined
    }
  }
}

function unfollow(session: string) {
  followed.get(session)?.release()
  followed.delete(session)
}

// ---- what the panel uses ----

/** The agent's run panel as it stands; an open panel keeps the event stream connected. */
export function usePanelRun(agent: string): PanelRun {
  useEffect(() => hold(), [])
  return useSyncExternalStore(listen, () => runs.get(agent) ?? BLANK)
}

export function setTask(agent: string, task: string) {
  update(agent, (now) => ({ ...now, task }))
}

const running = (run?: RunView) => run?.status === 'starting' || run?.status === 'running'

/** Starts the agent's task and follows its session's events until it ends. */
export async function startRun(agent: string) {
  const now = runs.get(agent) ?? BLANK
  if (running(now.run) || !now.task.trim()) return
  if (now.sessionId) unfollow(now.sessionId)
  const release = hold()
  const early: ApiEvent[] = []
  starting.add(early)
  update(agent, (r) => ({ ...r, run: emptyRun(), sessionId: undefined, startError: undefined, lastEventAt: Date.now() }))
  try {
    const { session_id } = await call('run.start', { agent, task: now.task })
    const mine = early.filter((e) => e.session_id === session_id)
    followed.set(session_id, { agent, release })
    update(agent, (r) => ({ ...r, sessionId: session_id, run: mine.reduce(applyEvent, r.run ?? emptyRun()) }))
    if (!running(runs.get(agent)?.run)) unfollow(session_id)
  } catch (e) {
    release()
    update(agent, (r) => ({ ...r, run: undefined, startError: e instanceof ApiError ? e.message : String(e) }))
  } finally {
    starting.delete(early)
  }
}

export async function cancelRun(agent: string) {
  const id = runs.get(agent)?.sessionId
  if (!id) return
  try {
    await call('run.cancel', { id })
  } catch (e) {
    update(agent, (r) => ({ ...r, startError: e instanceof ApiError ? e.message : String(e) }))
  }
}

/** Forgets every run and closes the event stream (tests, which start many engines). */
export function forgetRuns() {
  unsubscribe?.()
  unsubscribe = undefined
  holders = 0
  generation++
  starting.clear()
  followed.clear()
  runs.clear()
  listeners.forEach((listener) => listener())
}
