/** The app's frame: skip link, sidebar, and the current screen in <main>. */
import { Suspense, type MouseEvent, type ReactNode } from 'react'
import { Sidebar } from './Sidebar'

export function Shell({ children }: { children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <div className="shell">
        <Sidebar />
        <main id="main" className="main" tabIndex={-1}>
          {/* A screen's code loads on first visit (a few ms); the frame stays. */}
          <Suspense fallback={<p className="muted page-loading">Loading…</p>}>
            {children}
          </Suspense>
        </main>
      </div>
    </>
  )
}

// With hash routing, following "#main" would change the route; focus instead.
function skipToMain(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault()
  document.getElementById('main')?.focus()
}
