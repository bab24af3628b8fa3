// Dream now against a loopback bridge: the estimate is asked for first and
// shown; Start streams the dream's own progress events (others are ignored,
// events that arrive before the answer are kept); Cancel names the dream.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { Agent } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { DreamNow } from './DreamNow'

let bridge: BridgeServer

const agent = (name: string) => ({ id: name, name }) as Agent

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

describe('Dream now', () => {
  test('shows the estimate, then live progress of its own dream, and cancels it', async () => {
    bridge.answers.set('dreams.estimate', (p) => ({
      body: {
        agent: (p as { agent: string }).agent,
        session_ids: ['S1', 'S2', 'S3'],
        estimated_input_tokens: 4200,
        calls: 1,
        estimated_cost_usd: 0.0234,
      },
    }))
    bridge.answers.set('dreams.start', () => {
      // The engine may announce the dream before it answers.
      bridge.emit({ type: 'dream_started', dream_id: 'D1', agent: 'helper', sessions: 3, estimated_tokens: 4200, chunks: 1 })
      return { body: { id: 'D1', status: 'running' } }
    })
    bridge.answers.set('dreams.cancel', { body: { canceled: true } })
    const onStarted = vi.fn()
    const onFinished = vi.fn()
    render(<DreamNow agents={[agent('helper'), agent('writer')]} onStarted={onStarted} onFinished={onFinished} />)
    await bridge.connected()
    expect(await screen.findByText(/Reads 3 sessions \(about 4,200 tokens in 1 model call\), costing about \$0\.02\./)).toBeInTheDocument()

    const user = userEvent.setup()
    await user.selectOptions(screen.getByRole('combobox', { name: 'Agent' }), 'writer')
    await vi.waitFor(() => expect(bridge.calls.filter((c) => c.method === 'dreams.estimate').at(-1)?.params).toEqual({ agent: 'writer' }))
    await user.type(screen.getByRole('textbox', { name: 'Instructions (optional)' }), 'Only style')
    await user.click(await screen.findByRole('button', { name: 'Start dream' }))
    expect(bridge.calls.find((c) => c.method === 'dreams.start')?.params).toEqual({ agent: 'writer', instructions: 'Only style' })
    const progress = screen.getByTestId('dream-progress')
    await vi.waitFor(() => expect(progress).toHaveTextContent('Dreaming over 3 sessions (about 4,200 tokens).'))
    expect(onStarted).toHaveBeenCalledWith('D1')

    bridge.emit({ type: 'dream_consolidating', dream_id: 'OTHER' })
    bridge.emit({ type: 'dream_reviewing', dream_id: 'D1', chunk: 1, chunks: 2 })
    await vi.waitFor(() => expect(progress).toHaveTextContent('Reviewing part 1 of 2…'))
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(bridge.calls.find((c) => c.method === 'dreams.cancel')?.params).toEqual({ id: 'D1' })
    bridge.emit({ type: 'dream_finished', dream_id: 'D1', status: 'canceled', edits: 0, applied: false, error: 'canceled' })
    await vi.waitFor(() => expect(progress).toHaveTextContent('Canceled. Memory was not changed.'))
    expect(onFinished).toHaveBeenCalledWith('D1')
    expect(screen.queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument()
  })

  test('nothing to review disables Start and says what to do', async () => {
    bridge.answers.set('dreams.estimate', {
      body: { agent: 'helper', session_ids: [], estimated_input_tokens: 0, calls: 1, estimated_cost_usd: 0 },
    })
    render(<DreamNow agents={[agent('helper')]} onStarted={() => {}} onFinished={() => {}} />)
    expect(await screen.findByText('helper has no finished sessions that a dream has not read yet; run a task first.')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Start dream' })).toBeDisabled()
  })
})
