/**
 * The app's addresses, on wouter: the location hook the router reads, and
 * the few things wouter leaves out (a navigation blocker, location state and
 * key, decoded params).
 *
 * Addresses live in the hash (`#/memory?store=writer`), query included, so
 * one index.html serves every screen and the page's own query (`?bridge=`)
 * is never touched. wouter's hash hook would put a query in the page's
 * query instead, and return it as part of the path; this one keeps it in
 * the hash.
 *
 * A blocker (`useBlocker`, for LeaveGuard) holds in-app navigation and
 * back/forward. Navigation goes through `guarded`, which asks the blockers
 * first. Back/forward have already moved when the browser reports them, so
 * the router shows only accepted locations: a held move is undone with
 * `history.go(-delta)` (every entry carries its index) and redone on proceed.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { useLocation, useParams as useRouteParams, useSearchParams, type BaseLocationHook, type Path } from 'wouter'
import { pathOf as pathOfHash } from '../routes'

interface NavigateOptions {
  replace?: boolean
  state?: unknown
  /** Still the same visit (no new key: the heading keeps its focus); see `useKeepInAddress`. */
  sameVisit?: boolean
}

type Navigate = (to: Path, options?: NavigateOptions) => void

// ---- blockers ----

interface Blocking {
  blocks: (from: string, to: string) => boolean
  hold: (proceed: () => void, reset: () => void) => void
}

const blockers = new Set<Blocking>()

/** Asks the blockers about a move; true when one holds it (it then calls `proceed` or `reset`). */
function held(from: string, to: string, proceed: () => void, reset: () => void = () => undefined) {
  for (const blocker of blockers) {
    if (blocker.blocks(pathOf(from), pathOf(to))) {
      blocker.hold(proceed, reset)
      return true
    }
  }
  return false
}

export type Blocker =
  | { state: 'unblocked'; proceed?: undefined; reset?: undefined }
  | { state: 'blocked'; proceed: () => void; reset: () => void }

/** Holds a move from one path to another while `shouldBlock` says so, until `proceed` or `reset`. */
export function useBlocker(shouldBlock: (move: { from: string; to: string }) => boolean): Blocker {
  const [blocker, setBlocker] = useState<Blocker>({ state: 'unblocked' })
  const should = useRef(shouldBlock)
  useEffect(() => {
    should.current = shouldBlock
  })
  useEffect(() => {
    const blocking: Blocking = {
      blocks: (from, to) => should.current({ from, to }),
      hold: (proceed, reset) =>
        setBlocker({
          state: 'blocked',
          proceed: () => {
            setBlocker({ state: 'unblocked' })
            proceed()
          },
          reset: () => {
            setBlocker({ state: 'unblocked' })
            reset()
          },
        }),
    }
    blockers.add(blocking)
    return () => {
      blockers.delete(blocking)
    }
  }, [])
  return blocker
}

// ---- the current entry's key and state (as the app read them before wouter) ----

/** 'default' for the location the app opened on, a fresh key per navigation. */
let entry: { key: string; state: unknown } = { key: 'default', state: undefined }
const entryListeners = new Set<() => void>()
const notifyEntry = () => entryListeners.forEach((listener) => listener())
const setEntry = (next: { key: string; state: unknown }) => {
  entry = next
  notifyEntry()
}
const subscribeEntry = (listener: () => void) => {
  entryListeners.add(listener)
  return () => {
    entryListeners.delete(listener)
  }
}
const newKey = () => Math.random().toString(36).slice(2, 10)

/** Which visit this is: 'default' for the first location, another key after a navigation. */
export const useLocationKey = () => useSyncExternalStore(subscribeEntry, () => entry.key)

/** The state the navigation here carried (`<Link state={…}>`), if any. */
export const useLocationState = () => useSyncExternalStore(subscribeEntry, () => entry.state)

/** Starts over at the first location (for tests, which render many routers). */
export const resetLocationEntry = () => setEntry({ key: 'default', state: undefined })

/**
 * A location hook whose navigation asks the blockers first and records the
 * new entry's key and state. Wrap any hook (the hash hook, or wouter's
 * memory location in tests).
 */
export function guarded(hook: BaseLocationHook): BaseLocationHook {
  const useGuardedLocation = (...args: Parameters<BaseLocationHook>) => {
    const [path, navigate] = hook(...args) as [Path, Navigate]
    const at = useRef(path)
    useEffect(() => {
      at.current = path
    })
    const go = useCallback<Navigate>(
      (to, options) => {
        const move = () => {
          // Recorded before the move (the hash hook keeps it in the entry),
          // announced after it, so the screen left never sees the new key.
          if (!options?.sameVisit) entry = { key: newKey(), state: options?.state }
          navigate(to, options)
          notifyEntry()
        }
        if (!held(at.current, to, move)) move()
      },
      [navigate],
    )
    return [path, go] as [Path, Navigate]
  }
  return Object.assign(useGuardedLocation, { hrefs: hook.hrefs, searchHook: hook.searchHook })
}

// ---- the hash location ----

/** `#/sessions/ID?x` (or `/sessions/ID?x`) → `/sessions/ID`. */
const pathOf = (address: string) => pathOfHash(address) || '/'
/** `#/memory?store=w` → `store=w`. */
const searchOf = (hash: string) => {
  const at = hash.indexOf('?')
  return at < 0 ? '' : hash.slice(at + 1).split('#')[0]
}

interface HashEntry {
  hash: string
  idx: number
}

const hasWindow = typeof window !== 'undefined'
let current: HashEntry = { hash: '', idx: 0 }
let undoing = false
let passing = false
const hashListeners = new Set<() => void>()
const notify = () => hashListeners.forEach((listener) => listener())

const stateOf = () => (history.state ?? {}) as { idx?: number; key?: string; usr?: unknown }

function start() {
  const state = stateOf()
  // A fresh page has no index yet: it is entry 0 (a reload keeps its own).
  if (typeof state.idx !== 'number') history.replaceState({ ...state, idx: 0 }, '')
  current = { hash: location.hash, idx: stateOf().idx ?? 0 }
  if (state.key) entry = { key: state.key, state: state.usr }
}

/** Back/forward (or a plain `#…` link): accept the move, or undo it while a blocker asks. */
function moved() {
  if (location.hash === current.hash) {
    undoing = false
    return
  }
  if (undoing) return
  let state = stateOf()
  if (typeof state.idx !== 'number') {
    // An entry made outside the router: it comes after the one shown.
    state = { ...state, idx: current.idx + 1 }
    history.replaceState(state, '')
  }
  const delta = (state.idx ?? 0) - current.idx
  // (delta 0: the entry was replaced, not left; `history.go(0)` would reload.)
  if (!passing && delta !== 0) {
    const proceed = () => {
      passing = true
      history.go(delta)
    }
    if (held(current.hash, location.hash, proceed)) {
      undoing = true
      history.go(-delta)
      return
    }
  }
  passing = false
  current = { hash: location.hash, idx: state.idx ?? 0 }
  setEntry({ key: state.key ?? 'default', state: state.usr })
  notify()
}

function subscribeHash(listener: () => void) {
  if (hashListeners.size === 0) {
    // The address may have moved since this module loaded (or a router before this one left).
    if (hasWindow) start()
    addEventListener('popstate', moved)
    addEventListener('hashchange', moved)
  }
  hashListeners.add(listener)
  return () => {
    hashListeners.delete(listener)
    if (hashListeners.size === 0) {
      removeEventListener('popstate', moved)
      removeEventListener('hashchange', moved)
    }
  }
}

/** Moves to `to` (a path with an optional query), in the hash; the page's own query stays. */
function navigateHash(to: Path, { replace = false }: NavigateOptions = {}) {
  const hash = `#${to.startsWith('/') ? to : `/${to}`}`
  // A link to where the page already is adds no entry, as a browser's own
  // hash link does: Back then leaves the screen rather than repeating it.
  if (hash === current.hash) replace = true
  const idx = replace ? current.idx : current.idx + 1
  const state = { idx, key: entry.key, usr: entry.state }
  const url = `${location.pathname}${location.search}${hash}`
  if (replace) history.replaceState(state, '', url)
  else history.pushState(state, '', url)
  current = { hash: location.hash, idx }
  notify()
}

if (hasWindow) start()

const useHashPath = () => useSyncExternalStore(subscribeHash, () => pathOf(current.hash))
const useHashSearch = () => useSyncExternalStore(subscribeHash, () => searchOf(current.hash))

/** The app's location hook: the path and query inside the hash, guarded by the blockers. */
export const useHashLocation: BaseLocationHook = guarded(
  Object.assign((): [Path, Navigate] => [useHashPath(), navigateHash], {
    hrefs: (href: string) => `#${href}`,
    searchHook: useHashSearch,
  }),
)

// ---- params and navigate ----

/** The route's parameters, decoded (`/agents/my%20agent` → `my agent`). */
export function useParams(): Record<string, string | undefined> {
  const raw = useRouteParams() as Record<string, string | undefined>
  return useMemo(
    () => Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value === undefined ? value : decode(value)])),
    [raw],
  )
}

function decode(segment: string) {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

// ---- a screen's own choices in the address ----

/**
 * Writes a screen's own choices (the open dream, the open document) into the
 * address's query, in place: no new history entry and the same visit (focus
 * stays where it is), yet Back from another screen returns to them.
 */
export function useKeepInAddress(): (query: URLSearchParams) => void {
  const [path, navigate] = useLocation()
  return useCallback(
    (query: URLSearchParams) => {
      const search = query.toString()
      navigate(search ? `${path}?${search}` : path, { replace: true, sameVisit: true } as NavigateOptions)
    },
    [path, navigate],
  )
}

/**
 * A screen's state held in the address's query: read with `parse`, written
 * (in place, as `useKeepInAddress` does) with `format`. The setter takes the
 * next state from the one before, including an update made moments ago in
 * the same event that the address has not shown yet.
 */
export function useAddressState<T>(
  parse: (query: URLSearchParams) => T,
  format: (state: T) => URLSearchParams,
): [T, (change: (now: T) => T) => void] {
  const [params] = useSearchParams()
  const search = params.toString()
  const state = useMemo(() => parse(new URLSearchParams(search)), [parse, search])
  const latest = useRef(state)
  useEffect(() => {
    latest.current = state
  }, [state])
  const keepInAddress = useKeepInAddress()
  const update = useCallback(
    (change: (now: T) => T) => {
      const next = change(latest.current)
      if (next === latest.current) return
      latest.current = next
      keepInAddress(format(next))
    },
    [format, keepInAddress],
  )
  return [state, update]
}
