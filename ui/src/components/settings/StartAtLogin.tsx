/**
 * Settings › Dreams: "Start Reverie at login", the system's own autostart
 * entry (only in the desktop app; a browser cannot start anything at login).
 * Scheduled dreams run without it too: the system's schedule starts them.
 */
import { useEffect, useState } from 'react'
import { startAtLogin } from '../../api'
import { ErrorLine } from '../NoteLine'

export function StartAtLogin() {
  const [state, setState] = useState<boolean | null | undefined>()
  const [error, setError] = useState<string>()

  useEffect(() => {
    let current = true
    startAtLogin().then(
      (on) => current && setState(on),
      (e: unknown) => current && setError(String(e)),
    )
    return () => {
      current = false
    }
  }, [])

  if (state === null) return null
  const toggle = async (on: boolean) => {
    setError(undefined)
    try {
      setState(await startAtLogin(on))
    } catch (e) {
      setError(String(e))
    }
  }
  return (
    <div className="field">
      <label className="check">
        <input type="checkbox" checked={state === true} disabled={state === undefined} onChange={(e) => void toggle(e.target.checked)} />
        <span>
          <span className="check-title">Start Reverie at login</span>
          <span className="field-hint">Scheduled dreams run even when Reverie is closed; this also opens it in the tray when you log in.</span>
        </span>
      </label>
      <ErrorLine text={error} />
    </div>
  )
}
