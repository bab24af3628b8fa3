/**
 * Saving a provider's address. When the new address would receive the API
 * key saved in the keychain (another host than the one it was saved or
 * confirmed for), the engine refuses with `needs_confirmation` and this asks
 * first: "Your API key will be sent to HOST". Only an explicit yes saves
 * the address with `confirm_key_host`; Cancel (the focused choice) or
 * Escape keeps the old address.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react'
import { ApiError, call } from '../../api'

interface Pending {
  message: string
  answer: (yes: boolean) => void
}

/**
 * `save(key, value)` resolves `true` once saved, `false` when the person
 * declined; `dialog` is the question, to render where the form is.
 */
export function useProviderAddress() {
  const [pending, setPending] = useState<Pending>()

  const save = async (key: string, value: string): Promise<boolean> => {
    try {
      await call('settings.set', { key, value })
      return true
    } catch (e) {
      if (!(e instanceof ApiError) || e.kind !== 'needs_confirmation') throw e
      const yes = await new Promise<boolean>((answer) => setPending({ message: e.message, answer }))
      setPending(undefined)
      if (!yes) return false
      await call('settings.set', { key, value, confirm_key_host: true })
      return true
    }
  }

  const dialog = pending ? (
    <KeyHostConfirm message={pending.message} onAnswer={pending.answer} />
  ) : null
  return { save, dialog }
}

function KeyHostConfirm({ message, onAnswer }: { message: string; onAnswer: (yes: boolean) => void }) {
  const id = useId()
  const cancel = useRef<HTMLButtonElement>(null)
  // The safe choice takes focus, so Enter by habit does not send the key.
  useEffect(() => cancel.current?.focus(), [])
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      onAnswer(false)
    }
  }
  return (
    <div className="confirm" role="alertdialog" aria-modal="false" aria-labelledby={id} onKeyDown={onKeyDown}>
      <p id={id}>
        <strong>{message}</strong> Whoever runs that server can use your key and see your agents’ work.
      </p>
      <div className="actions">
        <button type="button" className="button button-danger" onClick={() => onAnswer(true)}>
          Send my key there
        </button>
        <button ref={cancel} type="button" className="button" onClick={() => onAnswer(false)}>
          Cancel
        </button>
      </div>
    </div>
  )
}
