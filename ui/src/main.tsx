/**
 * The app, started by boot.ts. Hash routing (state/router.ts) keeps every
 * address served by the one index.html (inside Tauri and from any static
 * server) and keeps `?bridge=` in place.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { Router } from 'wouter'
import { routes, screenReadyFor } from './App'
import { useHashLocation } from './state/router'
import { applyTheme } from './state/theme'
import './styles/tokens.css'
import './styles/base.css'
import './styles/shell.css'
import './styles/forms.css'

applyTheme()

const render = () =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <Router hook={useHashLocation}>{routes}</Router>
    </StrictMode>,
  )

// boot.ts started the first screen's code beside this; the first render
// waits for it (at most a moment), so it paints that screen, not "Loading…".
const atMost = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
void Promise.race([screenReadyFor(window.location.hash), atMost(300)]).then(render)
