/**
 * A change the person asked for, applied at once: busy while it runs (so
 * the controls wait), then a note that says what happened or, in the
 * engine's sentence, why not.
 */
import { useState } from 'react'
import { ApiError } from '../api'

export interface Note {
  ok: boolean
  text: string
}

export function useAction() {
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState<Note>()

  /** Runs `work`, hands its result to `then` and notes `done`; a failure is noted instead. */
  const run = async <T>(work: () => Promise<T>, done: string, then?: (result: T) => void) => {
    setBusy(true)
    setNote(undefined)
    try {
      const result = await work()
      then?.(result)
      setNote({ ok: true, text: done })
    } catch (e) {
      setNote({ ok: false, text: e instanceof ApiError ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }

  return { busy, note, setNote, run }
}
