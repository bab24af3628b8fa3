/**
 * Where each screen's code comes from, which screen an address opens, and
 * the head start a deep link gets: the screen's code and (for a timeline)
 * its first engine calls, fetched beside the app's own code. No React here:
 * `boot.ts` runs this before React has loaded.
 */
import { prefetch } from './state/prefetch'
import { firstPageParams } from './state/timeline'

export const screenLoaders = {
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

export type ScreenName = keyof typeof screenLoaders

/** Which screen's code a router path needs ("/sessions/01J…" → the timeline). */
export function screenFor(pathname: string): ScreenName | undefined {
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

/** The path of a hash address: `#/sessions/ID?x` → `/sessions/ID`. */
export const pathOf = (hash: string) => hash.replace(/^#/, '').split(/[?#]/)[0] ?? ''

/**
 * Starts fetching what the address in `hash` opens: the screen's code, and
 * for a session's timeline its first engine calls (the screen takes those
 * answers, see prefetch.ts). A dynamic import is fetched once, so the screen
 * later gets the same module.
 */
export function preloadScreenFor(hash: string) {
  const pathname = pathOf(hash)
  const name = screenFor(pathname)
  if (!name) return
  // A failed fetch is reported by the screen's own load; not here too.
  screenLoaders[name]().catch(() => undefined)
  if (name === 'timeline') {
    const id = decodeURIComponent(pathname.split('/').filter(Boolean)[1] ?? '')
    prefetch('sessions.get', { id })
    prefetch('sessions.page', firstPageParams(id))
  }
}
