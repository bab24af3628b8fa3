/**
 * Every screen, loaded on first visit: opening one screen (or a deep link)
 * parses only the code that screen needs.
 */
import { lazy } from 'react'

export const AgentsPage = lazy(() => import('./pages/AgentsPage').then((m) => ({ default: m.AgentsPage })))
export const SessionsPage = lazy(() => import('./pages/SessionsPage').then((m) => ({ default: m.SessionsPage })))
export const MemoryPage = lazy(() => import('./pages/MemoryPage').then((m) => ({ default: m.MemoryPage })))
export const DreamsPage = lazy(() => import('./pages/DreamsPage').then((m) => ({ default: m.DreamsPage })))
export const RubricsPage = lazy(() => import('./pages/RubricsPage').then((m) => ({ default: m.RubricsPage })))
export const SettingsPage = lazy(() => import('./pages/SettingsPage').then((m) => ({ default: m.SettingsPage })))
export const AgentEditorPage = lazy(() =>
  import('./components/agents/AgentEditorPage').then((m) => ({ default: m.AgentEditorPage })),
)
export const OnboardingPage = lazy(() =>
  import('./components/onboarding/OnboardingPage').then((m) => ({ default: m.OnboardingPage })),
)
export const SessionTimelinePage = lazy(() =>
  import('./components/sessions/SessionTimelinePage').then((m) => ({ default: m.SessionTimelinePage })),
)
