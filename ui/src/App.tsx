/**
 * Routes: every screen from screens.tsx inside the shell; "/" opens Agents.
 * A data router (`createHashRouter(routes)` in main.tsx), so a screen with
 * unsaved changes can hold navigation until the user decides.
 */
import { Suspense } from 'react'
import { createRoutesFromElements, Navigate, Route } from 'react-router'
import { Shell } from './components/Shell'
import { AgentEditorPage, OnboardingPage, SessionTimelinePage } from './lazyPages'
import { NotFoundPage } from './pages/NotFoundPage'
import { screens } from './screens'

export const routes = createRoutesFromElements(
  <>
    <Route element={<Shell />}>
      <Route index element={<Navigate to="/agents" replace />} />
      <Route path="/agents/:name" element={<AgentEditorPage />} />
      {screens.map(({ path, Page }) => (
        <Route key={path} path={path} element={<Page />} />
      ))}
      <Route path="/sessions/:id" element={<SessionTimelinePage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Route>
    <Route
      path="/welcome"
      element={
        <Suspense fallback={null}>
          <OnboardingPage />
        </Suspense>
      }
    />
  </>,
)
