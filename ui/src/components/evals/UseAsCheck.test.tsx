// "Use as a check" adds a graded session's task to its agent's checks in one
// click; a memory read in the timeline names its version and links to who
// wrote each line of it.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../../test/MemoryRouter'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { SessionEvent } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { TimelineRow } from '../sessions/TimelineRow'
import { UseAsCheck } from './UseAsCheck'

let bridge: BridgeServer

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

describe('Use as a check', () => {
  test('adds the session as a check in one click', async () => {
    bridge.answers.set('evals.add_from_session', { body: { id: 'T1' } })
    render(
      <MemoryRouter>
        <UseAsCheck sessionId="S1" agent="helper" />
      </MemoryRouter>,
    )
    await userEvent.setup().click(screen.getByRole('button', { name: 'Use as a check' }))
    expect(await screen.findByText('Added this task to helper’s checks.')).toBeInTheDocument()
    expect(bridge.calls.at(-1)).toEqual({ method: 'evals.add_from_session', params: { session_id: 'S1' } })
    expect(screen.getByRole('button', { name: 'Added as a check' })).toBeDisabled()
    expect(screen.getByRole('link', { name: 'See helper’s checks' })).toHaveAttribute('href', '/agents/helper#checks')
  })
})

describe('memory receipts in the timeline', () => {
  test('a memory read names its version and links to its blame', () => {
    const event: SessionEvent = {
      seq: 4,
      session_id: 'S1',
      thread_id: 'S1',
      parent_thread_id: null,
      kind: 'memory_read',
      at: '2026-01-01T00:00:01Z',
      latency_ms: null,
      usage: null,
      cost_usd: null,
      data: { path: '/memories/notes.md', store: 'helper', version: 7 },
    }
    const lanes = [{ id: 'S1', index: 0, depth: 0, agent: 'helper', task: '', start: 0, end: 0 }]
    render(
      <MemoryRouter>
        <TimelineRow
          event={event}
          index={0}
          total={1}
          lanes={lanes as never}
          laneOf={new Map([['S1', 0]])}
          start="2026-01-01T00:00:00Z"
          open
          active
          onToggle={() => {}}
        />
      </MemoryRouter>,
    )
    expect(screen.getByRole('button', { name: /\/memories\/notes\.md \(version 7\)/ })).toBeInTheDocument()
    expect(screen.getByTestId('memory-receipt')).toHaveTextContent('Read version 7 of /memories/notes.md')
    expect(screen.getByRole('link', { name: 'See who wrote each line of version 7' })).toHaveAttribute(
      'href',
      '/memory?store=helper&doc=%2Fmemories%2Fnotes.md&view=blame&version=7',
    )
  })
})
