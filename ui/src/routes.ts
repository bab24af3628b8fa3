/**
 * The route table: every screen of the app, declared once. An entry gives
 * the screen's path, its title, its sidebar entry (an icon; screens without
 * one are reached from other screens), where its code comes from and the
 * engine calls a deep link to it starts early. The router (App.tsx), the
 * sidebar, lazy loading and boot.ts's head start all read this table, so a
 * new screen is one entry here and a page in `pages/`.
 *
 * No React at run time here: boot.ts runs this before React has loaded.
 */
import type { ComponentType } from 'react'
import type * as icons from './components/icons'
import { prefetch } from './state/prefetch'
import { firstPageParams } from './state/timeline'

/** An icon's name in components/icons (a type only: no React here). */
export type IconName = keyof typeof icons

/** A page component: every screen reads what it needs from the route. */
export type PageComponent = ComponentType<object>

export interface Screen {
  /** The router path; a `:name` segment is a parameter. */
  path: string
  /** The screen's name: its sidebar label, and its heading when it has a fixed one. */
  title: string
  /** Listed in the sidebar (in table order) with this icon from components/icons. */
  icon?: IconName
  /** Shown full-window, without the sidebar. */
  fullWindow?: boolean
  /** The screen's code, fetched on first visit. */
  load: () => Promise<PageComponent>
  /** Starts the engine calls the screen opens with, for a deep link. */
  prefetch?: (params: Record<string, string>) => void
}

export const screens: Screen[] = [
  {
    path: '/agents',
    title: 'Agents',
    icon: 'AgentsIcon',
    load: () => import('./pages/AgentsPage').then((m) => m.AgentsPage),
  },
  {
    path: '/agents/:name',
    title: 'Agent',
    load: () => import('./pages/AgentEditorPage').then((m) => m.AgentEditorPage),
  },
  {
    path: '/sessions',
    title: 'Sessions',
    icon: 'SessionsIcon',
    load: () => import('./pages/SessionsPage').then((m) => m.SessionsPage),
  },
  {
    path: '/sessions/:id',
    title: 'Session',
    load: () => import('./pages/SessionTimelinePage').then((m) => m.SessionTimelinePage),
    // The timeline takes these answers instead of asking again (see prefetch.ts).
    prefetch: ({ id = '' }) => {
      prefetch('sessions.get', { id })
      prefetch('sessions.page', firstPageParams(id))
    },
  },
  {
    path: '/memory',
    title: 'Memory',
    icon: 'MemoryIcon',
    load: () => import('./pages/MemoryPage').then((m) => m.MemoryPage),
  },
  {
    path: '/dreams',
    title: 'Dreams',
    icon: 'DreamsIcon',
    load: () => import('./pages/DreamsPage').then((m) => m.DreamsPage),
  },
  {
    path: '/rubrics',
    title: 'Rubrics',
    icon: 'RubricsIcon',
    load: () => import('./pages/RubricsPage').then((m) => m.RubricsPage),
  },
  {
    path: '/settings',
    title: 'Settings',
    icon: 'SettingsIcon',
    load: () => import('./pages/SettingsPage').then((m) => m.SettingsPage),
  },
  {
    path: '/welcome',
    title: 'Welcome',
    fullWindow: true,
    load: () => import('./pages/OnboardingPage').then((m) => m.OnboardingPage),
  },
]

/** Where "/" leads. */
export const HOME = '/agents'

/** The screens the sidebar lists, in order. */
export const sidebarScreens = screens.filter((screen): screen is Screen & { icon: IconName } => !!screen.icon)

/**
 * The screen a router path opens, with its parameters ("/sessions/01J…" →
 * the timeline, `{ id: "01J…" }`); "/" (or none) opens {@link HOME}. Matches as the
 * router does: segment by segment, letters in any case.
 */
export function matchScreen(pathname: string): { screen: Screen; params: Record<string, string> } | undefined {
  let segments = pathname.split('/').filter(Boolean)
  if (segments.length === 0) segments = HOME.split('/').filter(Boolean)
  for (const screen of screens) {
    const pattern = screen.path.split('/').filter(Boolean)
    if (pattern.length !== segments.length) continue
    const params: Record<string, string> = {}
    const matches = pattern.every((part, i) => {
      const segment = segments[i] ?? ''
      if (part.startsWith(':')) {
        params[part.slice(1)] = safeDecode(segment)
        return true
      }
      return part.toLowerCase() === segment.toLowerCase()
    })
    if (matches) return { screen, params }
  }
  return undefined
}

function safeDecode(segment: string) {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The path of a hash address: `#/sessions/ID?x` → `/sessions/ID`. */
export const pathOf = (hash: string) => hash.replace(/^#/, '').split(/[?#]/)[0] ?? ''

/**
 * Starts fetching what the address in `hash` opens: the screen's code and
 * its first engine calls. A dynamic import is fetched once, so the screen
 * later gets the same module.
 */
export function preloadScreenFor(hash: string) {
  const match = matchScreen(pathOf(hash))
  if (!match) return
  // A failed fetch is reported by the screen's own load; not here too.
  match.screen.load().catch(() => undefined)
  match.screen.prefetch?.(match.params)
}
