/**
 * The note a change leaves: a quiet status line when it worked, an alert
 * when it did not. `okClassName` styles the success (a field hint by default).
 */
import type { Note } from '../state/useAction'

export function NoteLine({ note, okClassName = 'field-hint' }: { note: Note | undefined; okClassName?: string }) {
  if (!note) return null
  return (
    <p className={note.ok ? okClassName : 'notice notice-error'} role={note.ok ? 'status' : 'alert'}>
      {note.text}
    </p>
  )
}
