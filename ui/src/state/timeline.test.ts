import { describe, expect, test } from 'vitest'
import type { Session, SessionEvent } from '../api'
import {
  PageCache,
  buildLanes,
  describeEvent,
  formatCost,
  formatMs,
  formatTokens,
  isError,
  kindsFor,
  laneActive,
  nextError,
  offsetLabel,
  KIND_GROUPS,
} from './timeline'

const event = (kind: SessionEvent['kind'], data: Record<string, unknown>, seq = 1): SessionEvent => ({
  seq,
  session_id: 'root',
  thread_id: 'root',
  parent_thread_id: null,
  kind,
  at: '2026-11-26T10:00:01.500Z',
  latency_ms: null,
  usage: null,
  cost_usd: null,
  data,
})

const session = (id: string, parent: string | null, started: string, ended: string | null, agent = id): Session => ({
  id,
  agent_id: `a-${agent}`,
  agent_name: agent,
  parent_id: parent,
  root_id: 'root',
  task: `${agent}'s task`,
  status: ended ? 'completed' : 'running',
  final_answer: null,
  error: null,
  usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  cost_usd: 0,
  started_at: started,
  ended_at: ended,
})

describe('describeEvent', () => {
  test('says what each kind of step did in one line', () => {
    expect(describeEvent(event('tool_call', { name: 'workspace', input: { command: 'read', path: 'a.md' } }))).toMatchObject({
      label: 'Tool call',
      summary: 'workspace — read · a.md',
      tone: 'accent',
    })
    expect(describeEvent(event('tool_result', { name: 'memory', content: 'no such file\nmore', is_error: true }))).toMatchObject({
      label: 'Tool failed',
      summary: 'memory — no such file',
      tone: 'bad',
    })
    expect(describeEvent(event('grader_verdict', { result: 'needs_revision', score: 0.62, passed: false, explanation: 'Too long.' }))).toMatchObject({
      label: 'Verdict',
      summary: 'Needs revision · score 62% — Too long.',
      tone: 'warn',
    })
    expect(describeEvent(event('retry', { attempt: 2, delay_ms: 1500, error: 'overloaded' })).summary).toBe(
      'Attempt 2 after 1.5 s — overloaded',
    )
    expect(describeEvent(event('user_message', { text: 'Shorter, please.', feedback: true })).label).toBe('Feedback')
    expect(describeEvent(event('assistant_text', { text: 'x'.repeat(300) })).summary).toHaveLength(160)
  })

  test('errors are the engine’s: error and limit events, failed tool results', () => {
    expect(isError(event('error', { message: 'x' }))).toBe(true)
    expect(isError(event('limit_reached', { limit: '10 turns' }))).toBe(true)
    expect(isError(event('tool_result', { is_error: true }))).toBe(true)
    expect(isError(event('tool_result', { is_error: false }))).toBe(false)
    expect(isError(event('retry', {}))).toBe(false)
  })
})

describe('filters', () => {
  test('no group or every group means every kind', () => {
    expect(kindsFor(new Set())).toBeUndefined()
    expect(kindsFor(new Set(KIND_GROUPS.map((g) => g.id)))).toBeUndefined()
    expect(kindsFor(new Set(['tools', 'problems']))).toEqual(['tool_call', 'tool_result', 'retry', 'error', 'limit_reached'])
  })
})

describe('lanes', () => {
  test('are in tree order, each subagent after its parent, with its depth', () => {
    const lanes = buildLanes(
      [
        session('root', null, '2026-11-26T10:00:00.000Z', '2026-11-26T10:05:00.000Z', 'lead'),
        session('b', 'root', '2026-11-26T10:02:00.000Z', '2026-11-26T10:03:00.000Z', 'logs'),
        session('a', 'root', '2026-11-26T10:01:00.000Z', null, 'deploys'),
        session('a1', 'a', '2026-11-26T10:01:30.000Z', '2026-11-26T10:01:40.000Z', 'helper'),
      ],
      'root',
    )
    expect(lanes.map((l) => [l.agent, l.depth, l.index])).toEqual([
      ['lead', 0, 0],
      ['deploys', 1, 1],
      ['helper', 2, 2],
      ['logs', 1, 3],
    ])
    expect(laneActive(lanes[3], '2026-11-26T10:02:30.000Z')).toBe(true)
    expect(laneActive(lanes[3], '2026-11-26T10:04:00.000Z')).toBe(false)
    // A thread still running is active from its start on.
    expect(laneActive(lanes[1], '2026-11-26T11:00:00.000Z')).toBe(true)
    expect(laneActive(lanes[1], '2026-11-26T10:00:30.000Z')).toBe(false)
  })
})

describe('nextError', () => {
  test('goes forward and back from the current row, wrapping around', () => {
    const errors = [3, 10, 42]
    expect(nextError(errors, -1, 1)).toBe(3)
    expect(nextError(errors, 3, 1)).toBe(10)
    expect(nextError(errors, 5, 1)).toBe(10)
    expect(nextError(errors, 42, 1)).toBe(3)
    expect(nextError(errors, 10, -1)).toBe(3)
    expect(nextError(errors, 3, -1)).toBe(42)
    expect(nextError([], 0, 1)).toBeUndefined()
  })
})

describe('PageCache', () => {
  const page = (p: number, size: number) => Array.from({ length: size }, (_, i) => event('assistant_text', {}, p * size + i + 1))

  test('knows which pages a range needs, and does not ask twice', () => {
    const cache = new PageCache(100, 3)
    expect(cache.missing(0, 250, 1000)).toEqual([0, 1, 2])
    cache.request(0)
    cache.put(1, page(1, 100))
    expect(cache.missing(0, 250, 1000)).toEqual([2])
    expect(cache.get(150)?.seq).toBe(151)
    expect(cache.get(50)).toBeUndefined()
    // Never past the end.
    expect(cache.missing(950, 1200, 1000)).toEqual([9])
    expect(cache.missing(0, 10, 0)).toEqual([])
    // A failed page can be asked again.
    cache.request(2)
    cache.failed(2)
    expect(cache.missing(200, 299, 1000)).toEqual([2])
  })

  test('forgets the growing tail of a running session', () => {
    const cache = new PageCache(10, 10)
    for (const p of [0, 1, 2]) cache.put(p, page(p, 10))
    cache.request(3)
    cache.forgetFrom(2)
    expect(cache.size).toBe(2)
    expect(cache.missing(0, 39, 40)).toEqual([2, 3])
  })

  test('drops the pages farthest from the one just stored', () => {
    const cache = new PageCache(10, 3)
    for (const p of [0, 1, 2, 9]) cache.put(p, page(p, 10))
    expect(cache.size).toBe(3)
    expect(cache.get(5)).toBeUndefined()
    expect(cache.get(95)?.seq).toBe(96)
  })
})

describe('formats', () => {
  test('numbers read at a glance', () => {
    expect(formatTokens(950)).toBe('950')
    expect(formatTokens(1234)).toBe('1.2k')
    expect(formatTokens(56_000)).toBe('56k')
    expect(formatTokens(2_500_000)).toBe('2.5M')
    expect(formatCost(0)).toBe('$0')
    expect(formatCost(0.0042)).toBe('$0.0042')
    expect(formatCost(3.6)).toBe('$3.60')
    expect(formatMs(850)).toBe('850 ms')
    expect(formatMs(1500)).toBe('1.5 s')
    expect(formatMs(125_000)).toBe('2 min 5 s')
    expect(offsetLabel('2026-11-26T10:01:02.340Z', '2026-11-26T10:00:00.000Z')).toBe('+1:02.3')
    expect(offsetLabel('2026-11-26T11:00:05.000Z', '2026-11-26T10:00:00.000Z')).toBe('+1:00:05')
  })
})
