// "Dream on Claude" against a loopback bridge that moves a remote dream along
// as the Dreams API does (each status read one step): start, follow while
// pending and running, bring it back, link to the staged dream; cancel a
// stuck one; a failed one shows its reason; earlier dreams are listed and
// the newest one not brought back is followed on arrival.
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { Dream, ManagedBridgeStatus, ManagedDreamRecord, RemoteDreamInfo, RemoteDreamStatus } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { renderRouted } from '../../test/renderRouted'
import { ClaudeDream } from './ClaudeDream'

let bridge: BridgeServer
let records: ManagedDreamRecord[]
/** Statuses each read of the dream reports, in turn; the last one stays. */
let steps: RemoteDreamStatus[]
let reads: number

const status: ManagedBridgeStatus = {
  enabled: true,
  key: { available: true, source: 'keychain', hint: '…abcd', error: null },
  base_url: 'https://api.anthropic.com',
  agent_id: 'agent_01',
  environment_id: 'env_01',
  dream_model: null,
  stores: [{ store: 'helper', store_id: 'S1', remote_store_id: 'memstore_01a', open_conflicts: 0 }],
  uploaded_sessions: 0,
  dreams: [],
  reachable: null,
  check_error: null,
}

const remote = (id: string, s: RemoteDreamStatus, over: Partial<RemoteDreamInfo> = {}): RemoteDreamInfo => ({
  id,
  status: s,
  created_at: new Date().toISOString(),
  ended_at: null,
  error: null,
  instructions: null,
  model: { id: 'claude-sonnet-4-5', speed: null },
  inputs: [{ type: 'memory_store', memory_store_id: 'memstore_01a' }],
  outputs: [],
  session_id: null,
  usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  ...over,
})

const record = (id: string, over: Partial<ManagedDreamRecord> = {}): ManagedDreamRecord => ({
  remote_dream_id: id,
  local_store_id: 'S1',
  remote_store_id: 'memstore_01a',
  agent_id: 'A1',
  session_ids: ['s1', 's2'],
  remote_session_ids: ['sesn_1', 'sesn_2'],
  model: 'claude-sonnet-4-5',
  instructions: null,
  input_sha256: {},
  started_at: new Date().toISOString(),
  imported_dream_id: null,
  ...over,
})

beforeEach(async () => {
  records = []
  steps = ['running', 'completed']
  reads = 0
  bridge = await startBridgeServer()
  bridge.answers.set('managed.dreams', () => ({ body: records }))
  bridge.answers.set('managed.dream_status', (p) => {
    const { id } = p as { id: string }
    const s = steps[Math.min(reads++, steps.length - 1)]
    return {
      body: {
        remote: remote(id, s, s === 'failed' ? { error: { type: 'timeout', message: 'the dream ran out of time' } } : {}),
        record: records.find((r) => r.remote_dream_id === id) ?? null,
      },
    }
  })
})

afterEach(async () => {
  await bridge.close()
})

const renderDream = (over: Partial<ManagedBridgeStatus> = {}, onSynced = () => {}) =>
  renderRouted(<ClaudeDream store="helper" storeId="S1" status={{ ...status, ...over }} onSynced={onSynced} pollMs={30} />)

describe('Dream on Claude', () => {
  test('starts, follows the dream until it completes, brings it back and links to the staged dream', async () => {
    bridge.answers.set('managed.dream_start', () => {
      const r = record('drm_01new', { instructions: 'Only style' })
      records = [r]
      return {
        body: {
          remote: remote('drm_01new', 'pending', { instructions: 'Only style' }),
          record: r,
          push: { direction: 'push', store: 'helper', store_id: 'S1', remote_store_id: 'memstore_01a', created_remote_store: false, created_local_store: false, events: [], waiting: [], open_conflicts: [] },
          upload: {
            sessions: [
              { session_id: 's1', remote_session_id: 'sesn_1', uploaded: true },
              { session_id: 's2', remote_session_id: 'sesn_2', uploaded: false },
            ],
          },
        },
      }
    })
    bridge.answers.set('managed.dream_import', (p) => {
      const { id } = p as { id: string }
      records = [{ ...records[0], imported_dream_id: 'D7' }]
      return {
        body: {
          dream: { id: 'D7', status: 'completed', review: 'staged' } as Dream,
          edits: [{ id: 'E1' }, { id: 'E2' }],
          blocked: [{ path: '/memories/key.md', reason: 'it looks like it holds a secret', source_session_ids: [] }],
          remote: remote(id, 'completed'),
        },
      }
    })
    const onSynced = vi.fn()
    const user = userEvent.setup()
    renderDream({}, onSynced)
    const group = await screen.findByRole('group', { name: 'Dream on Claude' })
    await user.type(within(group).getByLabelText('Instructions (optional)'), 'Only style')
    await user.click(within(group).getByRole('button', { name: 'Dream on Claude' }))
    // The engine picks the agent's sessions since its last dream: none are named.
    expect(bridge.calls.find((c) => c.method === 'managed.dream_start')?.params).toEqual({ store: 'helper', instructions: 'Only style' })
    expect(await within(group).findByText('Started on Claude with 2 sessions (1 uploaded now), using claude-sonnet-4-5.')).toBeInTheDocument()
    expect(onSynced).toHaveBeenCalled()
    const card = within(group).getByTestId('claude-dream')
    expect(card).toHaveTextContent('drm_01new')
    // Another dream cannot start while this one goes on.
    expect(within(group).getByRole('button', { name: 'Dream on Claude' })).toBeDisabled()
    await vi.waitFor(() => expect(card).toHaveTextContent('Finished on Claude. Bring it back to review what it proposes'))
    expect(reads).toBe(2)
    await user.click(within(card).getByRole('button', { name: 'Bring it back for review' }))
    await vi.waitFor(() =>
      expect(card).toHaveTextContent(
        'Brought back for review: 2 proposed changes. 1 change could not be taken (it looks like it holds a secret).',
      ),
    )
    expect(within(card).getByRole('link', { name: 'Review it in Dreams' })).toHaveAttribute('href', '/dreams?dream=D7')
    expect(bridge.calls.find((c) => c.method === 'managed.dream_import')?.params).toEqual({ id: 'drm_01new' })
    // Finished dreams are not asked about again.
    const asked = reads
    await new Promise((r) => setTimeout(r, 120))
    expect(reads).toBe(asked)
    expect(within(group).getByRole('button', { name: 'Dream on Claude' })).toBeEnabled()
  })

  test('a stuck dream can be canceled; memory is not changed', async () => {
    steps = ['running']
    records = [record('drm_01stuck')]
    bridge.answers.set('managed.dream_cancel', (p) => ({
      body: { remote: remote((p as { id: string }).id, 'canceled'), record: records[0] },
    }))
    const user = userEvent.setup()
    renderDream()
    const card = await screen.findByTestId('claude-dream')
    await vi.waitFor(() => expect(card).toHaveTextContent('Dreaming on Claude…'))
    await vi.waitFor(() => expect(reads).toBeGreaterThan(2))
    await user.click(within(card).getByRole('button', { name: 'Cancel dream' }))
    await vi.waitFor(() => expect(card).toHaveTextContent('The dream was canceled. Memory was not changed.'))
    expect(bridge.calls.find((c) => c.method === 'managed.dream_cancel')?.params).toEqual({ id: 'drm_01stuck' })
    expect(within(card).queryByRole('button', { name: 'Cancel dream' })).not.toBeInTheDocument()
    expect(within(card).queryByRole('button', { name: 'Bring it back for review' })).not.toBeInTheDocument()
  })

  test('a failed dream shows its reason, and can be recorded in Dreams', async () => {
    steps = ['failed']
    records = [record('drm_01fail')]
    bridge.answers.set('managed.dream_import', (p) => {
      records = [{ ...records[0], imported_dream_id: 'D9' }]
      return {
        body: {
          dream: { id: 'D9', status: 'failed', review: 'none' } as Dream,
          edits: [],
          blocked: [],
          remote: remote((p as { id: string }).id, 'failed'),
        },
      }
    })
    const user = userEvent.setup()
    renderDream()
    const card = await screen.findByTestId('claude-dream')
    await vi.waitFor(() =>
      expect(card).toHaveTextContent('The dream failed on Claude: the dream ran out of time. Memory was not changed.'),
    )
    expect(within(card).queryByRole('button', { name: 'Bring it back for review' })).not.toBeInTheDocument()
    await user.click(within(card).getByRole('button', { name: 'Record it in Dreams' }))
    await vi.waitFor(() => expect(card).toHaveTextContent('Recorded in Dreams as failed.'))
    expect(within(card).getByRole('link', { name: 'Open it in Dreams' })).toHaveAttribute('href', '/dreams?dream=D9')
  })

  test('an earlier dream already brought back is not followed on arrival', async () => {
    records = [record('drm_01done', { imported_dream_id: 'D1' }), record('drm_01old', { started_at: '2026-01-01T10:00:00Z' })]
    renderDream()
    await screen.findByText('Earlier dreams on Claude (2)')
    expect(screen.queryByTestId('claude-dream')).not.toBeInTheDocument()
    expect(bridge.calls.some((c) => c.method === 'managed.dream_status')).toBe(false)
  })

  test('lists earlier dreams: brought-back ones link to Dreams, others can be followed', async () => {
    steps = ['completed']
    records = [
      record('drm_01b', { instructions: 'Tidy' }),
      record('drm_01a', { imported_dream_id: 'D1', started_at: '2026-01-01T10:00:00Z' }),
      record('drm_01other', { local_store_id: 'S2' }),
    ]
    const user = userEvent.setup()
    renderDream()
    const card = await screen.findByTestId('claude-dream')
    // The newest dream not brought back is followed on arrival.
    expect(card).toHaveTextContent('drm_01b')
    await vi.waitFor(() => expect(card).toHaveTextContent('Finished on Claude.'))
    await user.click(screen.getByText('Earlier dreams on Claude (2)'))
    const list = screen.getByRole('list', { name: 'Earlier dreams on Claude' })
    const rows = within(list).getAllByRole('listitem')
    expect(rows).toHaveLength(2)
    expect(rows[0]).toHaveTextContent('claude-sonnet-4-5 · 2 sessions · “Tidy”')
    expect(rows[0]).toHaveAttribute('aria-current', 'true')
    expect(within(rows[1]).getByRole('link', { name: 'Open in Dreams' })).toHaveAttribute('href', '/dreams?dream=D1')
  })

  test('without the agent and environment ids it says where to add them', async () => {
    renderDream({ environment_id: null })
    const group = await screen.findByRole('group', { name: 'Dream on Claude' })
    expect(within(group).getByRole('link', { name: 'add them in Settings' })).toHaveAttribute('href', '/settings')
    expect(within(group).queryByRole('button', { name: 'Dream on Claude' })).not.toBeInTheDocument()
  })

  test('an engine refusal to start is one sentence with the fix', async () => {
    bridge.answers.set('managed.dream_start', {
      status: 400,
      body: { error: { kind: 'invalid', message: "'helper' has no finished sessions since its last dream; give the sessions to read" } },
    })
    const user = userEvent.setup()
    renderDream()
    await user.click(await screen.findByRole('button', { name: 'Dream on Claude' }))
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'helper has no finished sessions since its last dream: run a task first, then dream.',
    )
    expect(screen.queryByTestId('claude-dream')).not.toBeInTheDocument()
  })
})
