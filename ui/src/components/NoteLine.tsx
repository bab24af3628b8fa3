/**
 * The sentences a change leaves: a quiet status line when it worked, an
 * alert when it did not. Each renders nothing when there is nothing to say.
 */
import type { Note } from '../state/useAction'

type Text = string | null | undefined | false

/** What failed, as an alert. */
export function ErrorLine({ text }: { text: Text }) {
  if (!text) return null
  return (
    <p className="notice notice-error" role="alert">
      {text}
    </p>
  )
}

/** What worked, as a status line. */
export function OkLine({ text, className = 'notice notice-ok' }: { text: Text; className?: string }) {
  if (!text) return null
  return (
    <p className={className} role="status">
      {text}
    </p>
  )
}

/** A {@link Note}: `okClassName` styles the success (a field hint by default). */
export function NoteLine({ note, okClassName = 'field-hint' }: { note: Note | undefined; okClassName?: string }) {
  if (!note) return null
  return note.ok ? <OkLine text={note.text} className={okClassName} /> : <ErrorLine text={note.text} />
}
