/**
 * The app, started by boot.ts. Hash routing keeps every address served by
 * the one index.html (inside Tauri and from any static server) and keeps
 * `?bridge=` in place.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createHashRouter, RouterProvider } from 'react-router'
import { routes, screenReadyFor } from './App'
import { applyTheme } from './state/theme'
import './styles/tokens.css'
import './styles/base.css'
import './styles/shell.css'
import './styles/forms.css'

applyTheme()

const router = createHashRouter(routes)
const render = () =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <RouterProvider router={router} />
    </StrictMode>,
  )

// boot.ts started the first screen's code beside this; the first render
// waits for it (at most a moment), so it paints that screen, not "Loading…".
const atMost = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
void Promise.race([screenReadyFor(window.location.hash), atMost(300)]).then(render)
