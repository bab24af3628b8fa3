/**
 * "Load demo data": 120 real customer-service sessions of an airline agent
 * (τ-bench, most of them failed), imported into a demo agent with one click
 * (`demo.load`), so a new user sees a dream work on realistic history.
 * Loading twice adds nothing.
 */
import { useState } from 'react'
import { Link } from 'wouter'
import { ApiError, call, type ImportSummary } from '../../api'

export function DemoData({ onLoaded }: { onLoaded: (agent: string, summary: ImportSummary) => void }) {
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState<{ ok: boolean; text: string; agent?: string }>()

  const load = async () => {
    setBusy(true)
    setNote(undefined)
    try {
      const { agent, summary } = await call('demo.load', {})
      setNote({
        ok: true,
        agent,
        text:
          summary.imported > 0
            ? `Loaded ${summary.imported.toLocaleString('en')} airline customer-service sessions into ${agent}.`
            : `The demo sessions are already in ${agent}.`,
      })
      onLoaded(agent, summary)
    } catch (e) {
      setNote({ ok: false, text: e instanceof ApiError ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <button type="button" className="button" onClick={() => void load()} disabled={busy}>
        {busy ? 'Loading demo data…' : 'Load demo data'}
      </button>
      {note && (
        <p className={`notice ${note.ok ? 'notice-ok' : 'notice-error'}`} role={note.ok ? 'status' : 'alert'} data-testid="demo-note">
          {note.text}
          {note.ok && (
            <>
              {' '}
              Most of them failed; see what a dream learns from them on the <Link to="/dreams">Dreams</Link> screen.
            </>
          )}
        </p>
      )}
    </>
  )
}
