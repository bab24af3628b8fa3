// Folding a session's progress events into what the run panel shows.
import { describe, expect, test } from 'vitest'
import type { ApiEvent } from '../api'
import { applyEvent, attemptText, emptyRun, headline, type RunView } from './runView'

const fold = (events: Record<string, unknown>[]): RunView =>
  events.map((e) => ({ session_id: 'S', ...e }) as unknown as ApiEvent).reduce(applyEvent, emptyRun())

describe('run view', () => {
  test('turns are separate blocks; a failed tool is marked failed; retrying shows until text arrives', () => {
    const view = fold([
      { type: 'session_started' },
      { type: 'text_delta', text: 'Let me look.' },
      { type: 'tool_call', name: 'workspace', input: {} },
      { type: 'tool_result', name: 'workspace', is_error: true, content: 'no such file' },
      { type: 'retrying', attempt: 2, delay_ms: 500, error: 'the model is overloaded' },
    ])
    expect(view.status).toBe('running')
    expect(view.attempts[0].blocks).toEqual([
      { kind: 'text', text: 'Let me look.' },
      { kind: 'tool', name: 'workspace', state: 'error' },
    ])
    expect(view.retrying).toMatch(/trying again \(attempt 2\): the model is overloaded/)
    const next = applyEvent(applyEvent(view, { type: 'text_delta', text: 'Found' }), { type: 'text_delta', text: ' it.' })
    // The second turn is its own block, not glued to the first.
    expect(attemptText(next.attempts[0])).toBe('Let me look.\n\nFound it.')
    expect(next.retrying).toBeUndefined()
  })

  test('a finished run keeps the streamed text, or takes the final answer when the stream was missed', () => {
    const done = { type: 'finished', status: 'completed', final_answer: 'Whole answer', error: null }
    expect(attemptText(fold([{ type: 'text_delta', text: 'Streamed' }, done]).attempts[0])).toBe('Streamed')
    const missed = fold([done])
    expect(attemptText(missed.attempts[0])).toBe('Whole answer')
    expect(headline(missed)).toEqual({ text: 'Completed', tone: 'good' })
    const failed = fold([{ type: 'finished', status: 'failed', final_answer: null, error: 'The key was refused.' }])
    expect(failed).toMatchObject({ status: 'failed', error: 'The key was refused.' })
    expect(headline(failed).tone).toBe('bad')
  })

  test('each attempt is its own block with its verdict; the headline agrees with the grade', () => {
    const criteria = [{ criterion_index: 0, name: 'Cites a source', passed: false, score: 0, evidence: 'no source', gap: 'Name the source.' }]
    const view = fold([
      { type: 'session_started' },
      { type: 'attempt_started', iteration: 1, max_iterations: 3 },
      { type: 'text_delta', text: 'Draft one' },
      { type: 'verdict', iteration: 1, max_iterations: 3, result: 'needs_revision', score: 0.4, explanation: 'Missing a source.', criteria },
      { type: 'attempt_started', iteration: 2, max_iterations: 3 },
    ])
    expect(headline(view).text).toBe('Running attempt 2 of 3…')
    const done = fold([
      { type: 'session_started' },
      { type: 'attempt_started', iteration: 1, max_iterations: 3 },
      { type: 'text_delta', text: 'Draft one' },
      { type: 'verdict', iteration: 1, max_iterations: 3, result: 'needs_revision', score: 0.4, explanation: 'Missing a source.', criteria },
      { type: 'attempt_started', iteration: 2, max_iterations: 3 },
      { type: 'text_delta', text: 'Draft two' },
      { type: 'verdict', iteration: 2, max_iterations: 3, result: 'satisfied', score: 1, explanation: 'Good.', criteria: [] },
      { type: 'finished', status: 'completed', final_answer: 'Draft two', error: null },
    ])
    expect(done.attempts.map((a) => [a.number, a.of, attemptText(a), a.verdict?.result])).toEqual([
      [1, 3, 'Draft one', 'needs_revision'],
      [2, 3, 'Draft two', 'satisfied'],
    ])
    expect(done.attempts[0].verdict?.criteria[0].gap).toBe('Name the source.')
    expect(headline(done)).toEqual({ text: 'Passed on attempt 2 of 3', tone: 'good' })

    const exhausted = fold([
      { type: 'attempt_started', iteration: 1, max_iterations: 1 },
      { type: 'text_delta', text: 'Only draft' },
      { type: 'verdict', iteration: 1, max_iterations: 1, result: 'max_iterations_reached', score: 0.2, explanation: '', criteria },
      { type: 'finished', status: 'completed', final_answer: 'Only draft', error: null },
    ])
    expect(headline(exhausted)).toEqual({ text: 'Did not pass after 1 attempt', tone: 'bad' })
  })

  test('a notice before the answer (a model that cannot call tools) is kept for the panel', () => {
    const view = applyEvent(emptyRun(), {
      type: 'notice',
      session_id: 'S',
      message: "smol's chat template on this server cannot call tools",
    } as unknown as ApiEvent)
    expect(view.notices).toEqual(["smol's chat template on this server cannot call tools"])
  })

  test('a run whose grading failed says so instead of "Completed"', () => {
    const view = fold([
      { type: 'attempt_started', iteration: 1, max_iterations: 3 },
      { type: 'text_delta', text: 'An answer' },
      { type: 'grading_failed', iteration: 1, error: 'cannot reach the model API' },
      { type: 'finished', status: 'completed', final_answer: 'An answer', error: null },
    ])
    expect(view.attempts[0].gradingError).toBe('cannot reach the model API')
    expect(headline(view)).toEqual({ text: 'Finished, but grading failed', tone: 'warn' })
  })
})
