/**
 * Every screen as a component, loaded on first visit: opening one screen
 * (or a deep link) parses only the code that screen needs.
 *
 * A screen whose code is already here renders at once rather than through
 * `React.lazy`: React holds a Suspense fallback on screen for at least
 * 300 ms once shown, which a screen that is ready should never pay.
 */
import { createElement, lazy, type ComponentType } from 'react'
import { pathOf, screenFor, screenLoaders, type ScreenName } from './screenLoaders'

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

const screens: Record<ScreenName, ReturnType<typeof screen>> = {
  agents: screen(screenLoaders.agents, (m) => m.AgentsPage),
  sessions: screen(screenLoaders.sessions, (m) => m.SessionsPage),
  memory: screen(screenLoaders.memory, (m) => m.MemoryPage),
  dreams: screen(screenLoaders.dreams, (m) => m.DreamsPage),
  rubrics: screen(screenLoaders.rubrics, (m) => m.RubricsPage),
  settings: screen(screenLoaders.settings, (m) => m.SettingsPage),
  agentEditor: screen(screenLoaders.agentEditor, (m) => m.AgentEditorPage),
  onboarding: screen(screenLoaders.onboarding, (m) => m.OnboardingPage),
  timeline: screen(screenLoaders.timeline, (m) => m.SessionTimelinePage),
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

/**
 * Resolves once the screen the address in `hash` opens is ready to render
 * at once, or its code failed to come (its lazy load then reports that), so
 * the first render can wait for it.
 */
export function screenReadyFor(hash: string): Promise<void> {
  const name = screenFor(pathOf(hash))
  if (!name) return Promise.resolve()
  return screens[name].load().then(
    () => undefined,
    () => undefined,
  )
}
