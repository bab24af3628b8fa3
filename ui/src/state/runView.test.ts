// Folding a session's progress events into what the run panel shows.
import { describe, expect, test } from 'vitest'
import { applyEvent, type RunView } from './runView'

const fresh: RunView = { text: '', tools: [], status: 'starting' }

describe('run view', () => {
  test('deltas append; a failed tool is marked failed; retrying shows until text arrives', () => {
    const view = [
      { type: 'session_started', session_id: 'S' },
      { type: 'tool_call', session_id: 'S', name: 'workspace', input: {} },
      { type: 'tool_result', session_id: 'S', name: 'workspace', is_error: true, content: 'no such file' },
      { type: 'retrying', session_id: 'S', attempt: 2, delay_ms: 500, error: 'the model is overloaded' },
    ].reduce(applyEvent, fresh)
    expect(view.status).toBe('running')
    expect(view.tools).toEqual([{ name: 'workspace', state: 'error' }])
    expect(view.retrying).toBe('Retrying (attempt 2): the model is overloaded')
    const next = applyEvent(applyEvent(view, { type: 'text_delta', text: 'Hi' }), { type: 'text_delta', text: '!' })
    expect(next.text).toBe('Hi!')
    expect(next.retrying).toBeUndefined()
  })

  test('a finished run keeps the streamed text, or takes the final answer when the stream was missed', () => {
    const done = { type: 'finished', status: 'completed', final_answer: 'Whole answer', error: null }
    expect(applyEvent({ ...fresh, text: 'Streamed' }, done).text).toBe('Streamed')
    expect(applyEvent(fresh, done)).toMatchObject({ text: 'Whole answer', status: 'completed' })
    const failed = applyEvent(fresh, { type: 'finished', status: 'failed', final_answer: null, error: 'The key was refused.' })
    expect(failed).toMatchObject({ status: 'failed', error: 'The key was refused.', text: '' })
  })
})
