// "Check the grader": grades a chosen past output k times and flags a
// criterion whose verdicts disagree, with its advice.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { CalibratePanel } from './CalibratePanel'

let bridge: BridgeServer

beforeEach(async () => {
  bridge = await startBridgeServer()
  bridge.answers.set('sessions.overview', {
    body: [
      { id: 'S1', agent_name: 'helper', task: 'Refund a late order', started_at: '2026-01-02T00:00:00Z' },
      { id: 'S2', agent_name: 'helper', task: 'Rebook a flight', started_at: '2026-01-01T00:00:00Z' },
    ],
  })
})

afterEach(async () => {
  await bridge.close()
})

describe('CalibratePanel', () => {
  test('an unsteady criterion is flagged with its advice', async () => {
    bridge.answers.set('rubrics.calibrate', (p) => ({
      body: {
        rubric: 'support-reply',
        session_id: (p as { session_id: string }).session_id,
        k: 7,
        threshold: 0.8,
        cost_usd: 0.12,
        criteria: [
          { criterion_index: 0, name: 'Cites the policy', runs: 7, agreement: 1, passed: 7, score_min: 0.9, score_max: 1, score_spread: 0.04, stable: true, advice: null },
          {
            criterion_index: 1,
            name: 'Sounds friendly',
            runs: 7,
            agreement: 4 / 7,
            passed: 4,
            score_min: 0.3,
            score_max: 0.9,
            score_spread: 0.22,
            stable: false,
            advice: 'Say what friendly means here, for example: greets the customer by name.',
          },
        ],
      },
    }))
    render(<CalibratePanel rubric="support-reply" dirty={false} />)
    const user = userEvent.setup()
    await user.selectOptions(await screen.findByLabelText('Output to grade'), 'S2')
    const times = screen.getByLabelText('Times')
    expect(times).toHaveValue('5')
    await user.clear(times)
    await user.type(times, '7')
    await user.click(screen.getByRole('button', { name: 'Check the grader' }))
    const result = await screen.findByTestId('calibration')
    expect(bridge.calls.find((c) => c.method === 'rubrics.calibrate')?.params).toEqual({ rubric: 'support-reply', session_id: 'S2', k: 7 })
    expect(result).toHaveTextContent('1 of 2 criteria are unsteady over 7 gradings.')
    const [steady, unsteady] = within(result).getAllByTestId('calibration-row')
    expect(steady).toHaveTextContent('Steady')
    expect(steady).not.toHaveTextContent('Unsteady')
    expect(unsteady).toHaveTextContent('Sounds friendly')
    expect(unsteady).toHaveTextContent('57%')
    expect(unsteady).toHaveTextContent('Unsteady')
    expect(unsteady).toHaveTextContent('Say what friendly means here')
    expect(unsteady).toHaveClass('is-unstable')
  })

  test('the number of gradings is checked before asking', async () => {
    render(<CalibratePanel rubric="support-reply" dirty />)
    const user = userEvent.setup()
    const times = await screen.findByLabelText('Times')
    await user.clear(times)
    await user.type(times, '1')
    expect(screen.getByRole('button', { name: 'Check the grader' })).toBeDisabled()
    expect(screen.getByText('Grade it from 2 to 20 times.')).toBeInTheDocument()
    expect(screen.getByText(/save first to check your changes/)).toBeInTheDocument()
  })
})
