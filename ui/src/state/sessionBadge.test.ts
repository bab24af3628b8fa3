// The session badge agrees with the outcome.
import { describe, expect, test } from 'vitest'
import type { ImportedSource } from '../api'
import { sessionBadge } from './sessionBadge'

describe('session badge', () => {
  test('a completed run is green only when nothing says it went wrong', () => {
    expect(sessionBadge({ status: 'completed' })).toEqual({ text: 'Completed', tone: 'good' })
    expect(sessionBadge({ status: 'completed', outcome: { result: 'satisfied' } })).toEqual({ text: 'Passed', tone: 'good' })
    expect(sessionBadge({ status: 'completed', outcome: { result: 'interrupted' } })).toEqual({ text: 'Grading failed', tone: 'warn' })
    expect(sessionBadge({ status: 'completed', outcome: { result: 'max_iterations_reached' } }).tone).toBe('bad')
    const imported = { outcome: { passed: false, reward: 0 } } as unknown as ImportedSource
    expect(sessionBadge({ status: 'completed', imported })).toEqual({ text: 'Failed at the source', tone: 'bad' })
    expect(sessionBadge({ status: 'interrupted', outcome: { result: 'satisfied' } }).text).toBe('Interrupted')
  })
})
