/**
 * Routes: every screen of the route table (routes.ts), inside the shell
 * unless it is full-window; "/" opens Agents. Rendered inside a wouter
 * `Router` on the app's location hook (main.tsx, state/router.ts), through
 * which a screen with unsaved changes can hold navigation until the user
 * decides.
 *
 * Each screen's code loads on first visit: opening one screen (or a deep
 * link) parses only the code that screen needs. A screen whose code is
 * already here renders at once rather than through `React.lazy`: React holds
 * a Suspense fallback on screen for at least 300 ms once shown, which a
 * screen that is ready should never pay.
 */
import { createElement, lazy, Suspense } from 'react'
import { Redirect, Route, Switch } from 'wouter'
import { Shell } from './components/Shell'
import { NotFoundPage } from './pages/NotFoundPage'
import { HOME, matchScreen, pathOf, screens, type PageComponent, type Screen } from './routes'

function lazyPage(screen: Screen) {
  let ready: PageComponent | undefined
  const load = () =>
    screen.load().then((component) => {
      ready = component
      return component
    })
  const Lazy = lazy(() => load().then((component) => ({ default: component })))
  function LazyPage() {
    return createElement(ready ?? Lazy)
  }
  return { Page: LazyPage, load }
}

const pages = new Map(screens.map((screen) => [screen, lazyPage(screen)]))
const pageOf = (screen: Screen) => pages.get(screen)!

function routeTo(screen: Screen) {
  const { Page } = pageOf(screen)
  // In the shell, its Suspense shows "Loading…"; a full-window screen waits blank.
  const element = screen.fullWindow ? (
    <Suspense fallback={null}>
      <Page />
    </Suspense>
  ) : (
    <Page />
  )
  return (
    <Route key={screen.path} path={screen.path}>
      {element}
    </Route>
  )
}

/**
 * Every address, to render inside a `Router` (main.tsx; tests use an
 * in-memory location): full-window screens alone, the rest in the shell,
 * which stays mounted from one screen to the next.
 */
export const routes = (
  <Switch>
    <Route path="/">
      <Redirect to={HOME} replace />
    </Route>
    {screens.filter((screen) => screen.fullWindow).map(routeTo)}
    <Route>
      <Shell>
        <Switch>
          {screens.filter((screen) => !screen.fullWindow).map(routeTo)}
          <Route>
            <NotFoundPage />
          </Route>
        </Switch>
      </Shell>
    </Route>
  </Switch>
)

/**
 * Resolves once the screen the address in `hash` opens is ready to render
 * at once, or its code failed to come (its lazy load then reports that), so
 * the first render can wait for it.
 */
export function screenReadyFor(hash: string): Promise<void> {
  const match = matchScreen(pathOf(hash))
  if (!match) return Promise.resolve()
  return pageOf(match.screen)
    .load()
    .then(
      () => undefined,
      () => undefined,
    )
}
