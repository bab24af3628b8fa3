// Running a task: run.start over HTTP, progress as server-sent events.
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../test/bridgeServer'
import { MemoryRouter } from '../test/MemoryRouter'
import { forgetRuns } from '../state/panelRuns'
import { RunPanel } from './RunPanel'

let bridge: BridgeServer

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  forgetRuns()
  await bridge.close()
})

async function startRun(session = 'S1', quietAfterMs?: number) {
  bridge.answers.set('run.start', { body: { session_id: session } })
  const user = userEvent.setup()
  render(
    <MemoryRouter>
      <RunPanel agent="writer" quietAfterMs={quietAfterMs} />
    </MemoryRouter>,
  )
  await bridge.connected()
  const task = screen.getByRole('textbox', { name: 'Task' })
  await user.type(task, 'Say hello.')
  await user.keyboard('{Control>}{Enter}{/Control}')
  await vi.waitFor(() => expect(bridge.calls.some((c) => c.method === 'run.start')).toBe(true))
  await screen.findByRole('button', { name: 'Cancel' })
  return user
}

describe('Run a task', () => {
  test('Ctrl+Enter starts the run; only its own session streams in; the final status shows', async () => {
    await startRun('S1')
    expect(bridge.calls.find((c) => c.method === 'run.start')?.params).toEqual({ agent: 'writer', task: 'Say hello.' })
    bridge.emit({ type: 'session_started', session_id: 'S1', agent: 'writer' })
    bridge.emit({ type: 'text_delta', session_id: 'S1', text: 'Hel' })
    bridge.emit({ type: 'text_delta', session_id: 'OTHER', text: 'not mine' })
    bridge.emit({ type: 'text_delta', session_id: 'S1', text: 'lo' })
    const answer = screen.getByTestId('run-answer')
    await vi.waitFor(() => expect(answer).toHaveTextContent('Hello'))
    expect(screen.getByTestId('run-status')).toHaveTextContent('Running…')

    bridge.emit({ type: 'tool_call', session_id: 'S1', name: 'memory', input: {} })
    await vi.waitFor(() => expect(answer).toHaveTextContent('memory …'))
    bridge.emit({ type: 'tool_result', session_id: 'S1', name: 'memory', is_error: false, content: 'ok' })
    await vi.waitFor(() => expect(answer).toHaveTextContent('memory done'))
    // The next turn is its own block, rendered as Markdown.
    bridge.emit({ type: 'text_delta', session_id: 'S1', text: '**Done.**' })
    await vi.waitFor(() => expect(answer.querySelector('strong')).toHaveTextContent('Done.'))
    expect(answer.querySelectorAll('.turn')).toHaveLength(2)

    bridge.emit({ type: 'finished', session_id: 'S1', status: 'completed', final_answer: 'Hello', error: null })
    await vi.waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('Completed'))
    expect(answer).toHaveTextContent(/^Hello\s*memory done\s*Done\.$/)
    expect(screen.queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument()
    expect(screen.getByRole('link', { name: "Open this session's timeline" })).toHaveAttribute('href', '/sessions/S1')
  })

  test('a graded run shows each attempt with its verdict, and a failed grading says so', async () => {
    await startRun('S3')
    const criteria = [
      { criterion_index: 0, name: 'Names a source', passed: false, score: 0, evidence: 'none', gap: 'Say where the figure comes from.' },
      { criterion_index: 1, name: 'Two lines', passed: true, score: 1, evidence: 'two lines' },
    ]
    bridge.emit({ type: 'session_started', session_id: 'S3', agent: 'writer' })
    bridge.emit({ type: 'attempt_started', session_id: 'S3', iteration: 1, max_iterations: 3 })
    bridge.emit({ type: 'text_delta', session_id: 'S3', text: 'Rates rose.' })
    bridge.emit({ type: 'verdict', session_id: 'S3', outcome_id: 'O', iteration: 1, max_iterations: 3, result: 'needs_revision', score: 0.5, explanation: 'No source.', criteria })
    bridge.emit({ type: 'attempt_started', session_id: 'S3', iteration: 2, max_iterations: 3 })
    bridge.emit({ type: 'text_delta', session_id: 'S3', text: 'Rates rose, says the bank.' })
    const first = await screen.findByRole('region', { name: 'Attempt 1 of 3' })
    expect(first).toHaveTextContent('Rates rose.')
    expect(first).toHaveTextContent('Sent back for another attempt · score 50%')
    expect(first).toHaveTextContent('Names a source: not met (0%) — Say where the figure comes from.')
    expect(screen.getByTestId('run-status')).toHaveTextContent('Running attempt 2 of 3…')
    const second = await screen.findByRole('region', { name: 'Attempt 2 of 3' })
    await vi.waitFor(() => expect(second).toHaveTextContent('Rates rose, says the bank.'))
    expect(second).not.toHaveTextContent('Rates rose.Rates')

    bridge.emit({ type: 'grading_failed', session_id: 'S3', iteration: 2, error: 'cannot reach the model API' })
    bridge.emit({ type: 'finished', session_id: 'S3', status: 'completed', final_answer: 'Rates rose, says the bank.', error: null })
    await vi.waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('Finished, but grading failed'))
    expect(second).toHaveTextContent('This attempt could not be graded: cannot reach the model API')
  })

  test('a stalled stream says so in words, and the note goes when the model speaks again', async () => {
    await startRun('S4', 300)
    bridge.emit({ type: 'session_started', session_id: 'S4', agent: 'writer' })
    const quiet = await screen.findByTestId('run-quiet', {}, { timeout: 3000 })
    expect(quiet).toHaveTextContent(/^No word from the model for \d+ seconds?\. Reverie waits up to 90 seconds, then tries again\.$/)
    bridge.emit({ type: 'text_delta', session_id: 'S4', text: 'Back.' })
    await vi.waitFor(() => expect(screen.queryByTestId('run-quiet')).not.toBeInTheDocument())
  })

  test('Cancel sends run.cancel for this session and the run ends Canceled', async () => {
    bridge.answers.set('run.cancel', { body: { canceled: true } })
    const user = await startRun('S2')
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    await vi.waitFor(() =>
      expect(bridge.calls.find((c) => c.method === 'run.cancel')?.params).toEqual({ id: 'S2' }),
    )
    bridge.emit({ type: 'finished', session_id: 'S2', status: 'canceled', final_answer: null, error: null })
    await vi.waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('Canceled'))
  })

  test('the run outlives the panel: closed and reopened, it shows what streamed meanwhile, still live', async () => {
    await startRun('S5')
    bridge.emit({ type: 'session_started', session_id: 'S5', agent: 'writer' })
    bridge.emit({ type: 'text_delta', session_id: 'S5', text: 'First part.' })
    await vi.waitFor(() => expect(screen.getByTestId('run-answer')).toHaveTextContent('First part.'))
    cleanup()
    // While no panel is open (the person is reading the timeline, say).
    bridge.emit({ type: 'text_delta', session_id: 'S5', text: ' Second part.' })
    // Let the event arrive before the panel opens again.
    await new Promise((resolve) => setTimeout(resolve, 100))
    render(
      <MemoryRouter>
        <RunPanel agent="writer" />
      </MemoryRouter>,
    )
    expect(screen.getByRole('textbox', { name: 'Task' })).toHaveValue('Say hello.')
    await vi.waitFor(() => expect(screen.getByTestId('run-answer')).toHaveTextContent('First part. Second part.'))
    expect(screen.getByTestId('run-status')).toHaveTextContent('Running…')
    bridge.emit({ type: 'finished', session_id: 'S5', status: 'completed', final_answer: 'First part. Second part.', error: null })
    await vi.waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('Completed'))
  })

  test("a refused start shows the engine's sentence", async () => {
    bridge.answers.set('run.start', {
      status: 400,
      body: { error: { kind: 'invalid', message: 'the task is empty; describe what the agent should do' } },
    })
    const user = userEvent.setup()
    render(
    <MemoryRouter>
      <RunPanel agent="writer" />
    </MemoryRouter>,
  )
    await user.type(screen.getByRole('textbox', { name: 'Task' }), ' x')
    await user.click(screen.getByRole('button', { name: 'Run' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('the task is empty; describe what the agent should do')
    expect(screen.queryByTestId('run-status')).not.toBeInTheDocument()
  })
})
