import { describe, expect, test } from 'vitest'
import type { Dream, DreamListItem, EditSummary } from '../api'
import { applyDreamEvent, decisionCounts, diaryEntries, dreamState, formatCost, type DreamProgressView } from './dreamView'

describe('applyDreamEvent', () => {
  test('folds a dream from start to a proposal waiting for review', () => {
    let view: DreamProgressView = { phase: 'starting', line: '' }
    view = applyDreamEvent(view, { type: 'dream_started', dream_id: 'D', sessions: 3, estimated_tokens: 12000, chunks: 2 })
    expect(view).toMatchObject({
      dreamId: 'D',
      phase: 'reviewing',
      summary: 'Dreaming over 3 sessions (about 12,000 tokens).',
      line: 'Reading the sessions…',
    })
    view = applyDreamEvent(view, { type: 'dream_reviewing', dream_id: 'D', chunk: 2, chunks: 2 })
    expect(view.line).toBe('Reviewing part 2 of 2…')
    view = applyDreamEvent(view, { type: 'dream_consolidating', dream_id: 'D' })
    expect(view.phase).toBe('consolidating')
    expect(view.summary).toBe('Dreaming over 3 sessions (about 12,000 tokens).')
    view = applyDreamEvent(view, { type: 'session_started', session_id: 'S' })
    expect(view.phase).toBe('consolidating')
    view = applyDreamEvent(view, {
      type: 'dream_finished',
      dream_id: 'D',
      status: 'completed',
      edits: 2,
      applied: false,
      held_for_review: 'it changes /memories/a.md, which you pinned',
      error: null,
    })
    expect(view.phase).toBe('finished')
    expect(view.line).toBe('Finished: 2 changes to review. Held for review because it changes /memories/a.md, which you pinned.')
  })

  test('says how a dream ended when it fails, is canceled, finds nothing or applies', () => {
    const end = (fields: Record<string, unknown>) =>
      applyDreamEvent({ phase: 'reviewing', line: '' }, { type: 'dream_finished', edits: 0, applied: false, ...fields }).line
    expect(end({ status: 'failed', error: 'the model call failed' })).toBe('The dream stopped: the model call failed')
    expect(end({ status: 'canceled' })).toBe('Canceled. Memory was not changed.')
    expect(end({ status: 'completed' })).toBe('Finished: nothing worth changing this time.')
    expect(end({ status: 'completed', edits: 1, applied: true })).toBe('Finished and applied 1 change.')
  })
})

const dream = (fields: Partial<Dream>): Dream =>
  ({
    id: 'D1',
    agent_id: 'A',
    status: 'completed',
    review: 'staged',
    trigger: 'ui',
    session_ids: ['S1', 'S2'],
    created_at: '2026-01-02T00:00:00Z',
    error: null,
    cost_usd: 0,
    ...fields,
  }) as Dream

const edit = (fields: Partial<EditSummary>): EditSummary => ({
  id: 'E',
  op: 'create',
  path: '/memories/style.md',
  merged_paths: [],
  reason: 'Both sessions asked for short answers.',
  source_session_ids: ['S1'],
  decision: 'pending',
  ...fields,
})

describe('the diary', () => {
  test('newest first, in plain words, without the index bookkeeping', () => {
    const items: DreamListItem[] = [
      { dream: dream({ id: 'old', created_at: '2026-01-01T00:00:00Z', review: 'applied' }), agent: 'helper', edits: [edit({ decision: 'applied' })] },
      {
        dream: dream({ id: 'new', review: 'partially_applied' }),
        agent: 'helper',
        edits: [
          edit({ decision: 'applied' }),
          edit({ op: 'rewrite', path: '/memories/_index.md', reason: 'List it.', decision: 'applied' }),
          edit({ op: 'delete', path: '/memories/old.md', reason: 'Stale.', decision: 'rejected' }),
        ],
      },
      { dream: dream({ id: 'running', status: 'running', review: 'none' }), agent: 'helper', edits: [] },
      { dream: dream({ id: 'failed', status: 'failed', review: 'none', error: 'no key', created_at: '2025-12-01T00:00:00Z' }), agent: 'helper', edits: [] },
    ]
    const entries = diaryEntries(items)
    expect(entries.map((e) => e.id)).toEqual(['new', 'old', 'failed'])
    expect(entries[0].title).toBe('helper read 2 sessions and proposed 3 changes.')
    expect(entries[0].learned).toEqual([
      'Both sessions asked for short answers. (new document /memories/style.md)',
      'Stale. (delete /memories/old.md) — you rejected this',
    ])
    expect(entries[0].outcome).toBe('2 changes applied, the rest rejected.')
    expect(entries[1].outcome).toBe('All changes were applied.')
    expect(entries[2]).toMatchObject({ title: 'helper tried to dream over 2 sessions but could not finish.', outcome: 'no key' })
  })

  test('a dream that found nothing says so', () => {
    const [entry] = diaryEntries([{ dream: dream({ review: 'none' }), agent: 'writer', edits: [] }])
    expect(entry.title).toBe('writer read 2 sessions and found nothing worth keeping.')
  })
})

test('states, counts and costs', () => {
  expect(dreamState(dream({ status: 'running', review: 'none' }))).toBe('Dreaming…')
  expect(dreamState(dream({ review: 'staged' }))).toBe('Waiting for review')
  expect(dreamState(dream({ review: 'partially_applied' }))).toBe('Partly applied')
  expect(decisionCounts([{ decision: 'accepted' }, { decision: 'rejected' }, { decision: 'pending' }, { decision: 'accepted' }])).toEqual({
    accepted: 2,
    rejected: 1,
    pending: 1,
  })
  expect(formatCost(null)).toMatch(/unknown/)
  expect(formatCost(0.004)).toBe('< $0.01')
  expect(formatCost(1.234)).toBe('$1.23')
})
