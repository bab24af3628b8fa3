/**
 * Deleting an agent, behind a confirmation that says what goes with it (its
 * sessions, dreams and own memory store; shared stores stay). Escape or
 * Cancel closes the confirmation and gives focus back to the button.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react'
import { ApiError, call, type Agent } from '../../api'
import { useReturnFocus } from '../../state/useReturnFocus'
import { ErrorLine } from '../NoteLine'

export function DeleteAgent({ agent, onDeleted }: { agent: Agent; onDeleted: () => void }) {
  const ids = useId()
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [opener, returnFocusToOpener] = useReturnFocus(confirming)
  const cancelButton = useRef<HTMLButtonElement>(null)

  // The safe choice takes focus, so Enter by habit does not delete.
  useEffect(() => {
    if (confirming) cancelButton.current?.focus()
  }, [confirming])

  const close = () => {
    returnFocusToOpener()
    setConfirming(false)
    setError(undefined)
  }

  const remove = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await call('agents.delete', { name: agent.name })
      onDeleted()
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
      setBusy(false)
    }
  }

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      close()
    }
  }

  return (
    <section className="editor-section editor-danger" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Delete agent</h2>
      {!confirming ? (
        <div className="inline-form">
          <p className="muted">Removes {agent.name} with its sessions, dreams and its own memory store.</p>
          <button ref={opener} type="button" className="button button-danger" onClick={() => setConfirming(true)}>
            Delete {agent.name}…
          </button>
        </div>
      ) : (
        <div
          className="confirm"
          role="alertdialog"
          aria-modal="false"
          aria-labelledby={`${ids}-confirm`}
          onKeyDown={onKeyDown}
        >
          <p id={`${ids}-confirm`}>
            <strong>Delete {agent.name} for good?</strong> Its sessions, dreams and the store “{agent.name}” go
            with it. Shared stores it uses stay. This cannot be undone.
          </p>
          <ErrorLine text={error} />
          <div className="actions">
            <button type="button" className="button button-danger-strong" disabled={busy} onClick={() => void remove()}>
              {busy ? 'Deleting…' : `Delete ${agent.name}`}
            </button>
            <button ref={cancelButton} type="button" className="button" onClick={close}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  )
}
