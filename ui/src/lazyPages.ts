/**
 * Every screen, loaded on first visit: opening one screen (or a deep link)
 * parses only the code that screen needs. `preloadScreenFor` starts fetching
 * the screen an address opens before React's first render, so a deep link
 * loads its screen beside the app's own code instead of after it.
 */
import { lazy } from 'react'

const load = {
  agents: () => import('./pages/AgentsPage'),
  sessions: () => import('./pages/SessionsPage'),
  memory: () => import('./pages/MemoryPage'),
  dreams: () => import('./pages/DreamsPage'),
  rubrics: () => import('./pages/RubricsPage'),
  settings: () => import('./pages/SettingsPage'),
  agentEditor: () => import('./components/agents/AgentEditorPage'),
  onboarding: () => import('./components/onboarding/OnboardingPage'),
  timeline: () => import('./components/sessions/SessionTimelinePage'),
}

export const AgentsPage = lazy(() => load.agents().then((m) => ({ default: m.AgentsPage })))
export const SessionsPage = lazy(() => load.sessions().then((m) => ({ default: m.SessionsPage })))
export const MemoryPage = lazy(() => load.memory().then((m) => ({ default: m.MemoryPage })))
export const DreamsPage = lazy(() => load.dreams().then((m) => ({ default: m.DreamsPage })))
export const RubricsPage = lazy(() => load.rubrics().then((m) => ({ default: m.RubricsPage })))
export const SettingsPage = lazy(() => load.settings().then((m) => ({ default: m.SettingsPage })))
export const AgentEditorPage = lazy(() => load.agentEditor().then((m) => ({ default: m.AgentEditorPage })))
export const OnboardingPage = lazy(() => load.onboarding().then((m) => ({ default: m.OnboardingPage })))
export const SessionTimelinePage = lazy(() => load.timeline().then((m) => ({ default: m.SessionTimelinePage })))

/** Which screen's code a router path needs ("/sessions/01J…" → the timeline). */
export function screenFor(pathname: string): keyof typeof load | undefined {
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
 * Starts loading the screen a hash address (`#/sessions/ID?x`) opens. The
 * lazy component later gets the same module: a dynamic import is fetched once.
 */
export function preloadScreenFor(hash: string) {
  const pathname = hash.replace(/^#/, '').split(/[?#]/)[0] ?? ''
  const screen = screenFor(pathname)
  // A failed fetch is reported by the screen's own lazy load; not here too.
  if (screen) load[screen]().catch(() => undefined)
}
