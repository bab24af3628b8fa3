// The session list against a real loopback server speaking the bridge's
// wire format: the filters become the engine's parameters, and each session
// links to its timeline.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../test/MemoryRouter'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../test/bridgeServer'
import { SessionsPage } from './SessionsPage'

let bridge: BridgeServer

const session = {
  id: '01SESSION',
  agent_id: 'A1',
  agent_name: 'lead',
  parent_id: null,
  root_id: '01SESSION',
  task: 'Why did checkout fail?',
  status: 'completed',
  final_answer: 'The deploy.',
  error: null,
  usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  cost_usd: 0.0123,
  started_at: '2026-11-26T10:00:00.000Z',
  ended_at: '2026-11-26T10:00:42.000Z',
  thread_count: 2,
  outcome: { result: 'satisfied', score: 0.9, iterations: 1 },
}

beforeEach(async () => {
  bridge = await startBridgeServer()
  bridge.answers.set('agents.list', { body: [{ id: 'A1', name: 'lead' }] })
  bridge.answers.set('sessions.overview', (params) =>
    (params as { status?: string }).status === 'failed' ? { body: [] } : { body: [session] },
  )
})

afterEach(async () => {
  await bridge.close()
})

const renderSessions = () =>
  render(
    <MemoryRouter>
      <SessionsPage />
    </MemoryRouter>,
  )

const lastOverview = () => bridge.calls.filter((c) => c.method === 'sessions.overview').at(-1)?.params

describe('Sessions', () => {
  test('lists sessions with their threads, outcome and cost, each linking to its timeline', async () => {
    renderSessions()
    const list = await screen.findByRole('list', { name: 'Sessions' })
    const link = within(list).getByRole('link', { name: /Why did checkout fail\?/ })
    expect(link).toHaveAttribute('href', '/sessions/01SESSION')
    expect(link).toHaveTextContent('2 subagent threads')
    expect(link).toHaveTextContent('42.0 s')
    expect(link).toHaveTextContent('$0.01')
    expect(link).toHaveTextContent('Satisfied 90%')
    expect(lastOverview()).toEqual({ limit: 500 })
  })

  test('closing the import panel gives focus back to its button at once, not a frame later', async () => {
    const user = userEvent.setup()
    renderSessions()
    const open = await screen.findByRole('button', { name: 'Import sessions…' })
    await user.click(open)
    const panel = screen.getByRole('dialog', { name: 'Import sessions' })
    await vi.waitFor(() => expect(within(panel).getByRole('combobox', { name: 'Into agent' })).toHaveFocus())
    await user.keyboard('{Escape}')
    // Checked right away: the panel is gone and focus is already back.
    expect(screen.queryByRole('dialog', { name: 'Import sessions' })).toBeNull()
    expect(open).toHaveFocus()
  })

  test('filters become the engine’s parameters; no match says what to do', async () => {
    const user = userEvent.setup()
    renderSessions()
    await screen.findByRole('list', { name: 'Sessions' })
    await screen.findByRole('option', { name: 'lead' })
    await user.selectOptions(screen.getByLabelText('Agent'), 'lead')
    await user.selectOptions(screen.getByLabelText('Outcome'), 'satisfied')
    await user.type(screen.getByLabelText('From'), '2026-11-20')
    await vi.waitFor(() =>
      expect(lastOverview()).toEqual({
        limit: 500,
        agent: 'lead',
        outcome: 'satisfied',
        started_after: new Date(2026, 10, 20).toISOString(),
      }),
    )
    await user.selectOptions(screen.getByLabelText('Status'), 'failed')
    expect(await screen.findByText(/No session matches these filters/)).toBeInTheDocument()
    expect(screen.queryByText('No sessions yet')).not.toBeInTheDocument()
  })
})
