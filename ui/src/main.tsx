/**
 * Entry point. Hash routing keeps every address served by the one index.html
 * (inside Tauri and from any static server) and keeps `?bridge=` in place.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createHashRouter, RouterProvider } from 'react-router'
import { routes } from './App'
import { preloadScreenFor } from './lazyPages'
import { applyTheme } from './state/theme'
import './styles/tokens.css'
import './styles/base.css'
import './styles/shell.css'
import './styles/forms.css'

applyTheme()
// The screen's code loads while React starts, not after it.
preloadScreenFor(window.location.hash)

const router = createHashRouter(routes)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RouterProvider router={router} />
  </StrictMode>,
)
