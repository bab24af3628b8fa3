/**
 * Every screen, loaded on first visit: opening one screen (or a deep link)
 * parses only the code that screen needs. `preloadScreenFor` starts fetching
 * the screen an address opens before React's first render, so a deep link
 * loads its screen beside the app's own code instead of after it.
 *
 * A screen whose code is already here renders at once rather than through
 * `React.lazy`: React holds a Suspense fallback on screen for at least
 * 300 ms once shown, which a screen that is ready should never pay.
 */
import { createElement, lazy, type ComponentType } from 'react'
import { prefetch } from './state/prefetch'
import { firstPageParams } from './state/timeline'

// Components with no props: every screen reads what it needs from the route.
type Screen = ComponentType<object>

function screen<M>(load: () => Promise<M>, pick: (module: M) => Screen) {
  let ready: Screen | undefined
  const loadReady = () =>
    load().then((module) => {
      ready = pick(module)
      return ready
    })
  const Lazy = lazy(() => loadReady().then((component) => ({ default: component })))
  function LazyScreen() {
    return createElement(ready ?? Lazy)
  }
  return { Component: LazyScreen, load: loadReady }
}

const screens = {
  agents: screen(() => import('./pages/AgentsPage'), (m) => m.AgentsPage),
  sessions: screen(() => import('./pages/SessionsPage'), (m) => m.SessionsPage),
  memory: screen(() => import('./pages/MemoryPage'), (m) => m.MemoryPage),
  dreams: screen(() => import('./pages/DreamsPage'), (m) => m.DreamsPage),
  rubrics: screen(() => import('./pages/RubricsPage'), (m) => m.RubricsPage),
  settings: screen(() => import('./pages/SettingsPage'), (m) => m.SettingsPage),
  agentEditor: screen(() => import('./components/agents/AgentEditorPage'), (m) => m.AgentEditorPage),
  onboarding: screen(() => import('./components/onboarding/OnboardingPage'), (m) => m.OnboardingPage),
  timeline: screen(() => import('./components/sessions/SessionTimelinePage'), (m) => m.SessionTimelinePage),
}

export const AgentsPage = screens.agents.Component
export const SessionsPage = screens.sessions.Component
export const MemoryPage = screens.memory.Component
export const DreamsPage = screens.dreams.Component
export const RubricsPage = screens.rubrics.Component
export const SettingsPage = screens.settings.Component
export const AgentEditorPage = screens.agentEditor.Component
export const OnboardingPage = screens.onboarding.Component
export const SessionTimelinePage = screens.timeline.Component

/** Which screen's code a router path needs ("/sessions/01J…" → the timeline). */
export function screenFor(pathname: string): keyof typeof screens | undefined {
  const [first = '', second] = pathname.split('/').filter(Boolean)
  switch (first) {
    case '':
      return 'agents'
    case 'agents':
      return second ? 'agentEditor' : 'agents'
    case 'sessions':
      return second ? 'timeline' : 'sessions'
    case 'welcome':
      return 'onboarding'
    case 'memory':
    case 'dreams':
    case 'rubrics':
    case 'settings':
      return first
    default:
      return undefined
  }
}

/**
 * Loads the screen a hash address (`#/sessions/ID?x`) opens, and for a
 * session's timeline starts its first engine calls too, so code and data
 * arrive together (the screen takes the answers, see prefetch.ts). Resolves
 * once the screen's code is here, or failed to come (the screen's own lazy
 * load then reports it), so the first render can wait for it.
 */
export function preloadScreenFor(hash: string): Promise<void> {
  const pathname = hash.replace(/^#/, '').split(/[?#]/)[0] ?? ''
  const name = screenFor(pathname)
  if (!name) return Promise.resolve()
  if (name === 'timeline') {
    const id = decodeURIComponent(pathname.split('/').filter(Boolean)[1] ?? '')
    prefetch('sessions.get', { id })
    prefetch('sessions.page', firstPageParams(id))
  }
  return screens[name].load().then(
    () => undefined,
    () => undefined,
  )
}
