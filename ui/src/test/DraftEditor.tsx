/**
 * A screen with a draft for the leave-guard tests: one text field, a link
 * elsewhere (carrying `linkState`, if given), and the guard, on while the
 * field is not empty.
 */
import { useState } from 'react'
import { Link } from 'wouter'
import { LeaveGuard } from '../components/LeaveGuard'

export function DraftEditor({ linkState }: { linkState?: unknown }) {
  const [text, setText] = useState('')
  return (
    <>
      <h1>Editor</h1>
      <label>
        Text
        <input value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <Link to="/elsewhere" state={linkState}>
        Elsewhere
      </Link>
      <LeaveGuard when={text !== ''} what="the draft" />
    </>
  )
}
