/**
 * Holds in-app navigation while a screen has unsaved changes and asks,
 * in one sentence, whether to leave them. Closing or reloading the window
 * is the browser's own question (`beforeunload`), asked too. The question
 * itself (`UnsavedQuestion`) also serves moves inside a screen, such as
 * opening another memory document.
 */
import { useEffect, useId, useRef, useState } from 'react'
import { useBlocker } from '../state/router'

export function LeaveGuard({ when, what }: { when: boolean; what: string }) {
  // Only a move to another screen is held; query or hash changes on the
  // same screen (a filter, a selected document) are the screen's own.
  // Back/forward are held too (state/router.ts undoes the move while asking).
  const blocker = useBlocker(({ from, to }) => when && from !== to)

  useEffect(() => {
    if (!when) return
    const onUnload = (event: BeforeUnloadEvent) => event.preventDefault()
    window.addEventListener('beforeunload', onUnload)
    return () => window.removeEventListener('beforeunload', onUnload)
  }, [when])

  // Saved (or undone) while the question is up: nothing to ask any more.
  useEffect(() => {
    if (blocker.state === 'blocked' && !when) blocker.proceed()
  }, [blocker, when])

  if (blocker.state !== 'blocked') return null
  return <UnsavedQuestion what={what} onStay={() => blocker.reset()} onLeave={() => blocker.proceed()} />
}

/**
 * "Leave without saving?" as a modal with two answers. Stay has focus, so
 * Enter by habit keeps the work; Escape stays too. When it closes by Stay,
 * focus goes back where it was before the question.
 */
export function UnsavedQuestion({ what, onStay, onLeave }: { what: string; onStay: () => void; onLeave: () => void }) {
  const ids = useId()
  const stay = useRef<HTMLButtonElement>(null)
  // Read while rendering, before Stay takes focus: an effect run twice (as
  // in StrictMode) would otherwise record Stay itself as where focus was.
  const [before] = useState(() => document.activeElement)

  useEffect(() => {
    stay.current?.focus()
  }, [])

  const stayHere = () => {
    onStay()
    if (before instanceof HTMLElement) before.focus()
  }

  return (
    <div className="leave-guard-backdrop">
      <div
        className="leave-guard"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={`${ids}-title`}
        aria-describedby={`${ids}-body`}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault()
            stayHere()
          } else if (event.key === 'Tab') {
            // Modal: focus moves between the two answers only.
            const buttons = [...event.currentTarget.querySelectorAll('button')]
            const at = buttons.indexOf(document.activeElement as HTMLButtonElement)
            event.preventDefault()
            buttons[(at + (event.shiftKey ? buttons.length - 1 : 1)) % buttons.length]?.focus()
          }
        }}
      >
        <h2 id={`${ids}-title`}>Leave without saving?</h2>
        <p id={`${ids}-body`}>
          Your changes to {what} are not saved yet. Stay to save them, or leave and lose them.
        </p>
        <div className="actions">
          <button ref={stay} type="button" className="button button-primary" onClick={stayHere}>
            Stay
          </button>
          <button type="button" className="button button-danger" onClick={onLeave}>
            Leave without saving
          </button>
        </div>
      </div>
    </div>
  )
}
