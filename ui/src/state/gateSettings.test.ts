import { describe, expect, test } from 'vitest'
import type { Agent } from '../api'
import { fieldsOf, parseFields } from './gateSettings'

describe('gate settings', () => {
  test('defaults, and typed values saved as the engine reads them', () => {
    const agent = { settings: { max_turns: 30 } } as unknown as Agent
    expect(fieldsOf(agent)).toEqual({ tolerance: '2', budget: '', minutes: '', concurrency: '2' })
    expect(parseFields({ tolerance: '10', budget: '2.5', minutes: '', concurrency: '3' })).toEqual({
      settings: { gate_tolerance: 0.1, gate_budget_usd: 2.5, gate_budget_seconds: null, gate_concurrency: 3 },
    })
    expect(fieldsOf({ settings: { gate_tolerance: 0.1, gate_budget_usd: 2.5, gate_budget_seconds: 600, gate_concurrency: 3 } } as unknown as Agent)).toEqual({
      tolerance: '10',
      budget: '2.5',
      minutes: '10',
      concurrency: '3',
    })
  })

  test('a wrong value is one sentence', () => {
    expect(parseFields({ tolerance: '150', budget: '', minutes: '', concurrency: '2' })).toEqual({ error: 'The allowed drop is a number of points from 0 to 100.' })
    expect(parseFields({ tolerance: '5', budget: '-1', minutes: '', concurrency: '2' })).toHaveProperty('error')
    expect(parseFields({ tolerance: '5', budget: '', minutes: '', concurrency: '0' })).toHaveProperty('error')
  })
})
