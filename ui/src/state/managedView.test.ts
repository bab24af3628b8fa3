import { describe, expect, test } from 'vitest'
import { ApiError, type ManagedSyncReport } from '../api'
import { managedError, remoteDreamSentence, syncEventLines, syncSentence } from './managedView'

const report = (over: Partial<ManagedSyncReport>): ManagedSyncReport => ({
  direction: 'push',
  store: 'helper',
  store_id: 'S1',
  remote_store_id: 'memstore_01',
  created_remote_store: false,
  created_local_store: false,
  events: [],
  waiting: [],
  open_conflicts: [],
  ...over,
})

describe('syncSentence', () => {
  test('says nothing moved when nothing did', () => {
    expect(syncSentence(report({}))).toBe('Nothing to push: Claude already has every change made here.')
    expect(syncSentence(report({ direction: 'pull' }))).toBe('Nothing new to pull from Claude.')
  })

  test('counts what moved, what was left, and what waits for the other direction', () => {
    const sentence = syncSentence(
      report({
        events: [
          { event: 'pushed', path: '/memories/a.md', created: false },
          { event: 'removed_remote', path: '/memories/b.md' },
          { event: 'failed', path: '/memories/big.md', reason: 'it is over 100 kB' },
        ],
        waiting: ['/memories/c.md', '/memories/d.md'],
      }),
    )
    expect(sentence).toBe(
      'Pushed 2 documents to Claude; /memories/big.md was left as it is: it is over 100 kB; 2 documents changed on Claude wait for Pull.',
    )
  })

  test('a pull with only a conflict says nothing was pulled and both versions were kept', () => {
    const conflict = {
      id: 'C',
      store_id: 'S1',
      dir: 'managed-agents:memstore_01',
      path: '/memories/a.md',
      conflict_path: '/memories/a.conflict-1.md',
      kind: 'both_changed' as const,
      store_sha256: null,
      folder_sha256: null,
      detected_at: '',
      resolved_at: null,
    }
    const r = report({ direction: 'pull', events: [{ event: 'conflict', conflict }] })
    expect(syncSentence(r)).toBe(
      'Pulled nothing; 1 document changed on both sides, so both versions were kept (see the conflicts below).',
    )
    expect(syncEventLines(r)).toEqual([
      '/memories/a.md: changed here and on Claude; this version stayed here and Claude’s text was kept as /memories/a.conflict-1.md.',
    ])
  })
})

describe('managedError', () => {
  test('replaces command-line advice with where to go in the app, and keeps other sentences', () => {
    const e = (message: string) => new ApiError('invalid', message, 'managed.push')
    expect(
      managedError(
        e('the Claude Managed Agents bridge is off; turn it on with `reverie managed enable` or in Settings (nothing was sent)'),
      ),
    ).toBe('Claude Managed Agents is off: turn it on in Settings › Claude Managed Agents (nothing was sent).')
    expect(
      managedError(
        e(
          'set managed_agents.environment_id first (`reverie managed enable --environment-id …`): the Managed Agents API creates a session only for one of your agents in one of your environments',
        ),
      ),
    ).toMatch(/^Add your Managed Agents agent id and environment id in Settings › Claude Managed Agents first/)
    expect(
      managedError(
        e(
          "the memory store 'helper' is not linked to a Managed Agents memory store yet: push it first, or pull with --remote memstore_…",
        ),
      ),
    ).toBe('helper is not on Claude yet: push it first, or pull a teammate’s store by its id.')
    expect(managedError(e('Claude Managed Agents refused the request (529 overloaded): try again in a minute'))).toBe(
      'Claude Managed Agents refused the request (529 overloaded): try again in a minute',
    )
  })
})

describe('remoteDreamSentence', () => {
  test('a failed dream gives its reason once, ending with one full stop', () => {
    const d = {
      id: 'drm_1',
      status: 'failed' as const,
      created_at: '',
      ended_at: null,
      error: { type: 'timeout', message: 'Ran out of time.' },
      instructions: null,
      model: { id: 'm', speed: null },
      inputs: [],
      outputs: [],
      session_id: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    }
    expect(remoteDreamSentence(d)).toBe('The dream failed on Claude: Ran out of time. Memory was not changed.')
    expect(remoteDreamSentence({ ...d, error: null })).toBe('The dream failed on Claude. Memory was not changed.')
  })
})
