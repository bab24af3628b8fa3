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

describe('limits', () => {
  test('the defaults show until set; a change writes the settings; a bad value names its field', async () => {
    const { draftFrom, changes, parseLimits } = await import('./agentDraft')
    const base = { ...agent, settings: { keep: 'me' } }
    const draft = draftFrom(base)
    expect(draft.limits).toEqual({ max_turns: '30', max_minutes: '30', max_cost_usd: '', max_output_tokens: '200000' })
    expect(changes(base, draft)).toEqual({})
    const changed = { ...draft, limits: { ...draft.limits, max_turns: '60', max_cost_usd: '$0.50' } }
    expect(changes(base, changed).settings).toEqual({
      keep: 'me',
      max_turns: 60,
      max_wall_seconds: 1800,
      max_output_tokens: 200000,
      max_cost_usd: 0.5,
    })
    const bad = parseLimits({ ...draft.limits, max_turns: '0', max_minutes: 'soon' })
    expect(bad).toEqual({ errors: { max_turns: 'Turns: a whole number from 1 to 1000.', max_minutes: 'Minutes: more than 0 and at most 1440 (a day).' } })
    // An agent saved with a cost cap and 90 minutes reads back as such.
    const saved = draftFrom({ ...agent, settings: { max_wall_seconds: 5400, max_cost_usd: 2 } })
    expect(saved.limits.max_minutes).toBe('90')
    expect(saved.limits.max_cost_usd).toBe('2')
  })
})
