import { describe, expect, test } from 'vitest'
import type { Agent } from '../api'
import { changes, draftFrom, isDirty, toggleTool } from './agentDraft'

const agent: Agent = {
  id: '1',
  name: 'Writer',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  system_prompt: 'Write plainly.',
  tools: ['memory', 'workspace'],
  default_rubric_id: null,
  dream_policy: 'review',
  dream_schedule: null,
  settings: {},
  stores: [],
  created_at: '',
  updated_at: '',
}

describe('agent draft', () => {
  test('an untouched draft changes nothing', () => {
    expect(changes(agent, draftFrom(agent))).toEqual({})
    expect(isDirty(agent, draftFrom(agent))).toBe(false)
  })

  test('only the fields that differ are sent, trimmed', () => {
    const draft = { ...draftFrom(agent), model: ' claude-haiku-4-5 ', dream_policy: 'auto' as const }
    expect(changes(agent, draft)).toEqual({ model: 'claude-haiku-4-5', dream_policy: 'auto' })
  })

  test('an empty schedule or rubric clears it; blanks around a schedule do not count as a change', () => {
    const set = { ...agent, dream_schedule: '03:00', default_rubric_id: 'r1' }
    const draft = { ...draftFrom(set), dream_schedule: '  ', default_rubric_id: '' }
    expect(changes(set, draft)).toEqual({ dream_schedule: null, default_rubric_id: null })
    expect(changes(set, { ...draftFrom(set), dream_schedule: ' 03:00 ' })).toEqual({})
  })

  test('tools compare as a set and keep the listed order', () => {
    expect(changes(agent, { ...draftFrom(agent), tools: ['workspace', 'memory'] })).toEqual({})
    expect(toggleTool(['workspace'], 'memory', true)).toEqual(['memory', 'workspace'])
    expect(toggleTool(['memory', 'workspace'], 'memory', false)).toEqual(['workspace'])
    expect(toggleTool(['custom'], 'memory', true)).toEqual(['memory', 'custom'])
  })
})
