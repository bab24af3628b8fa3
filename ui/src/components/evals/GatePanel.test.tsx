// The regression gate in a dream's review: regressions first, the held
// verdict, progress from events, Cancel and Check again, and what to do
// when the agent has no checks.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../../test/MemoryRouter'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Gate, GateSide, GateTaskResult } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { GatePanel } from './GatePanel'

let bridge: BridgeServer

const side = (passed: boolean, score: number, session: string, patch: Partial<GateSide> = {}): GateSide => ({
  session_id: session,
  passed,
  score,
  attempts: 1,
  cost_usd: 0.02,
  duration_ms: 12_000,
  status: 'done',
  error: null,
  ...patch,
})

const task = (id: string, text: string, before: GateSide, after: GateSide, regression: boolean): GateTaskResult => ({
  task_id: id,
  task: text,
  rubric: 'support-reply',
  before,
  after,
  score_change: before.score !== null && after.score !== null ? after.score - before.score : null,
  regression,
})

function gate(patch: Partial<Gate> = {}): Gate {
  return {
    id: 'G1',
    agent: 'helper',
    dream_id: 'D1',
    before_label: 'before the dream',
    after_label: 'after the dream',
    status: 'regressed',
    done: 2,
    total: 2,
    tolerance: 0.05,
    summary: { passed_before: 2, passed_after: 1, mean_before: 0.9, mean_after: 0.6, regressions: 1, cost_usd: 0.08, duration_ms: 48_000 },
    // The engine's order is regressions first; the view keeps it even if not.
    tasks: [
      task('T1', 'Refund a late order', side(true, 0.9, 'S-B1'), side(true, 0.95, 'S-A1'), false),
      task('T2', 'Rebook a cancelled flight', side(true, 0.9, 'S-B2'), side(false, 0.25, 'S-A2'), true),
    ],
    verdict: 'Held for your review: 1 check got worse after this dream.',
    started_at: '2026-01-02T00:00:00Z',
    finished_at: '2026-01-02T00:01:00Z',
    error: null,
    ...patch,
  }
}

beforeEach(async () => {
  bridge = await startBridgeServer()
  bridge.answers.set('evals.list', { body: [{ id: 'T1' }, { id: 'T2' }] })
})

afterEach(async () => {
  await bridge.close()
})

const renderPanel = () =>
  render(
    <MemoryRouter>
      <GatePanel dreamId="D1" agent="helper" />
    </MemoryRouter>,
  )

describe('GatePanel', () => {
  test('a dream that makes things worse: the held verdict, regressions first, links to both sessions', async () => {
    bridge.answers.set('evals.gate', { body: gate() })
    renderPanel()
    expect(await screen.findByTestId('gate-verdict')).toHaveTextContent('Held for review')
    expect(screen.getByTestId('gate-verdict')).toHaveTextContent('1 check got worse after this dream.')
    const rows = screen.getAllByTestId('gate-task')
    expect(rows[0]).toHaveTextContent('Rebook a cancelled flight')
    expect(rows[0]).toHaveTextContent('Worse')
    expect(rows[0]).toHaveTextContent('−65 points')
    expect(rows[1]).toHaveTextContent('Refund a late order')
    expect(rows[1]).toHaveTextContent('+5 points')
    expect(within(rows[0]).getByRole('link', { name: 'Open the session before the dream' })).toHaveAttribute('href', '/sessions/S-B2')
    expect(within(rows[0]).getByRole('link', { name: 'Open the session after the dream' })).toHaveAttribute('href', '/sessions/S-A2')
    expect(screen.getByTestId('gate-passed')).toHaveTextContent('2 of 2 with before the dream · 1 of 2 with after the dream')
    expect(screen.getByRole('button', { name: 'Check again' })).toBeEnabled()
  })

  test('progress arrives as events; Cancel stops the checks; Check again starts them', async () => {
    const running = gate({ status: 'running', done: 0, total: 2, tasks: [], verdict: 'Checking…', finished_at: null })
    bridge.answers.set('evals.gate', { body: running })
    bridge.answers.set('evals.gate_cancel', { body: gate({ status: 'canceled', verdict: 'You canceled the checks.' }) })
    bridge.answers.set('evals.gate_start', { body: gate({ id: 'G2', status: 'running', done: 0, tasks: [], verdict: 'Checking…' }) })
    renderPanel()
    expect(await screen.findByTestId('gate-progress')).toHaveTextContent('0 of 2 runs done')
    await bridge.connected()
    bridge.emit({ type: 'gate_progress', gate: { ...running, done: 1 } })
    expect(await screen.findByText(/1 of 2 runs done/)).toBeInTheDocument()
    expect(screen.getByRole('progressbar', { name: 'Runs done' })).toHaveAttribute('value', '1')
    // Another dream's gate is not this one.
    bridge.emit({ type: 'gate_progress', gate: { ...running, dream_id: 'D9', done: 2 } })

    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Cancel the checks' }))
    expect(await screen.findByText(/You canceled the checks/)).toBeInTheDocument()
    expect(bridge.calls.find((c) => c.method === 'evals.gate_cancel')?.params).toEqual({ id: 'G1' })
    await user.click(screen.getByRole('button', { name: 'Check again' }))
    expect(await screen.findByTestId('gate-progress')).toHaveTextContent('0 of 2 runs done')
    expect(bridge.calls.find((c) => c.method === 'evals.gate_start')?.params).toEqual({ dream_id: 'D1' })
  })

  test('no checks: says how to add some', async () => {
    bridge.answers.set('evals.gate', { body: null })
    bridge.answers.set('evals.list', { body: [] })
    renderPanel()
    const hint = await screen.findByTestId('gate-no-checks')
    expect(hint).toHaveTextContent('helper has no checks yet')
    expect(hint).toHaveTextContent('Use as a check')
    expect(within(hint).getByRole('link', { name: 'helper’s page' })).toHaveAttribute('href', '/agents/helper#checks')
    expect(screen.queryByRole('button', { name: 'Run the checks' })).not.toBeInTheDocument()
  })
})
