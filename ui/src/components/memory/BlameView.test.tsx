// Who wrote each line: authors linked to their session or dream, the
// version that introduced each line, and the line actions (correct,
// forget, pin) each one `memory.line` guarded by the line's text.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../../test/MemoryRouter'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { BlameLine } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { BlameView } from './BlameView'

let bridge: BridgeServer

const line = (n: number, text: string, version: number, author: Partial<BlameLine['author']> & { kind: BlameLine['author']['kind'] }, pinned = false): BlameLine => ({
  line: n,
  text,
  version,
  at: '2026-01-01T00:00:00Z',
  author: { session_id: null, dream_id: null, agent: null, ...author },
  reason: `reason ${n}`,
  pinned,
})

const lines = [
  line(1, '# Customer notes', 1, { kind: 'user' }),
  line(2, 'Refunds take 5 days.', 2, { kind: 'agent', agent: 'helper', session_id: 'S1' }),
  line(3, 'Always offer a voucher.', 3, { kind: 'dream', dream_id: 'D1', agent: 'helper' }),
  line(4, 'Edited by hand.', 4, { kind: 'external' }),
]

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

describe('BlameView', () => {
  test('each line names its author and version; forget, pin and correct call memory.line', async () => {
    bridge.answers.set('memory.blame', { body: { path: '/memories/notes.md', version: 4, lines } })
    bridge.answers.set('memory.line', (p) => {
      const { action, line: n, text } = p as { action: string; line: number; text?: string }
      const next =
        action === 'forget'
          ? lines.filter((l) => l.line !== n).map((l, i) => ({ ...l, line: i + 1 }))
          : lines.map((l) => (l.line !== n ? l : { ...l, pinned: action === 'pin', text: text ?? l.text, version: text ? 5 : l.version }))
      return { body: { path: '/memories/notes.md', version: action === 'pin' ? 4 : 5, lines: next } }
    })
    const onChanged = vi.fn()
    const onVersion = vi.fn()
    render(
      <MemoryRouter>
        <BlameView store="helper" path="/memories/notes.md" onVersion={onVersion} onChanged={onChanged} />
      </MemoryRouter>,
    )
    const list = await screen.findByRole('list', { name: 'Lines of /memories/notes.md' })
    const rows = within(list).getAllByTestId('blame-line')
    expect(screen.getByRole('heading', { name: 'Who wrote each line of version 4' })).toBeInTheDocument()
    expect(rows[0]).toHaveTextContent('You')
    expect(within(rows[1]).getByRole('link', { name: 'helper, in a session' })).toHaveAttribute('href', '/sessions/S1')
    expect(within(rows[2]).getByRole('link', { name: 'A dream of helper' })).toHaveAttribute('href', '/dreams?dream=D1')
    expect(rows[3]).toHaveTextContent('An edit in the mirrored folder')

    const user = userEvent.setup()
    // A version opens that version's blame.
    await user.click(within(rows[2]).getByRole('button', { name: 'version 3' }))
    expect(onVersion).toHaveBeenCalledWith(3)

    // Pin the dream's line.
    await user.click(screen.getByRole('button', { name: 'Line 3: Always offer a voucher.' }))
    const actions = screen.getByRole('group', { name: 'Change line 3' })
    await user.click(within(actions).getByRole('button', { name: 'Pin it' }))
    await screen.findByText('Pinned the line: dreams will not delete it.')
    expect(bridge.calls.at(-1)).toEqual({
      method: 'memory.line',
      params: { store: 'helper', path: '/memories/notes.md', line: 3, expected: 'Always offer a voucher.', action: 'pin' },
    })

    // Correct the agent's line.
    await user.click(screen.getByRole('button', { name: 'Line 2: Refunds take 5 days.' }))
    await user.click(within(screen.getByRole('group', { name: 'Change line 2' })).getByRole('button', { name: 'Correct it' }))
    const box = screen.getByLabelText('Corrected line')
    await user.clear(box)
    await user.type(box, 'Refunds take 10 days.')
    await user.click(screen.getByRole('button', { name: 'Save correction' }))
    await screen.findByText('Corrected the line; saved as version 5.')
    expect(bridge.calls.at(-1)?.params).toEqual({
      store: 'helper',
      path: '/memories/notes.md',
      line: 2,
      expected: 'Refunds take 5 days.',
      action: 'correct',
      text: 'Refunds take 10 days.',
    })

    // Forget the hand-edited line.
    await user.click(screen.getByRole('button', { name: 'Line 4: Edited by hand.' }))
    await user.click(within(screen.getByRole('group', { name: 'Change line 4' })).getByRole('button', { name: 'Forget it' }))
    await screen.findByText('Forgot the line; saved as version 5.')
    expect(screen.queryByRole('button', { name: 'Line 4: Edited by hand.' })).not.toBeInTheDocument()
    expect(onChanged).toHaveBeenCalledTimes(3)
  })

  test('an older version is read-only and asks for that version', async () => {
    bridge.answers.set('memory.blame', { body: { path: '/memories/notes.md', version: 2, lines: lines.slice(0, 2) } })
    const onVersion = vi.fn()
    render(
      <MemoryRouter>
        <BlameView store="helper" path="/memories/notes.md" version={2} onVersion={onVersion} onChanged={() => {}} />
      </MemoryRouter>,
    )
    expect(await screen.findByRole('button', { name: 'Line 1: # Customer notes' })).toBeDisabled()
    expect(bridge.calls[0].params).toEqual({ store: 'helper', path: '/memories/notes.md', version: 2 })
    await userEvent.setup().click(screen.getByRole('button', { name: 'Show the current version' }))
    expect(onVersion).toHaveBeenCalledWith(undefined)
  })
})
