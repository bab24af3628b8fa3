/**
 * "Results over time" where people look at results (an agent's page, the
 * Sessions screen): a button that opens the pass-rate charts. The charts and
 * their library load only when opened, so the screen's first paint does not
 * carry them.
 */
import { lazy, Suspense, useId, useState } from 'react'
import '../../styles/evals.css'

const PassRates = lazy(() => import('./PassRates').then((m) => ({ default: m.PassRates })))

export function ResultsSection({ agent, as = 'section' }: { agent?: string; as?: 'section' | 'div' }) {
  const ids = useId()
  const [open, setOpen] = useState(false)
  const Box = as
  return (
    <Box className={as === 'section' ? 'editor-section results-section' : 'results-section'} aria-labelledby={`${ids}-title`}>
      <div className="results-head">
        {as === 'section' ? <h2 id={`${ids}-title`}>Results over time</h2> : <h2 id={`${ids}-title`} className="visually-hidden">Results over time</h2>}
        <button type="button" className="button button-small" aria-expanded={open} aria-controls={`${ids}-charts`} onClick={() => setOpen(!open)}>
          {open ? 'Hide pass rates' : 'Pass rates over time'}
        </button>
      </div>
      <div id={`${ids}-charts`}>
        {open && (
          <Suspense fallback={<p className="muted small">Loading the charts…</p>}>
            <PassRates agent={agent} />
          </Suspense>
        )}
      </div>
    </Box>
  )
}
