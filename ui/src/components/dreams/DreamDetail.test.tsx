// A staged dream's review against a loopback bridge: Apply waits until every
// change is decided, a decision is sent per change, and apply is one call.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../../test/MemoryRouter'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { DreamDetail } from './DreamDetail'

let bridge: BridgeServer

const edit = (id: string, path: string, decision: string, content: string, base: string | null) => ({
  id,
  dream_id: 'D1',
  position: 0,
  op: base ? 'rewrite' : 'create',
  path,
  merged_paths: [],
  content,
  base_sha256: base,
  reason: `Why ${path}`,
  source_session_ids: ['01SESSIONAAAAAA111111'],
  decision,
})

function detail(decisions: [string, string]) {
  return {
    dream: {
      id: 'D1',
      agent_id: 'A',
      input_store_id: 'S',
      output_store_id: null,
      mode: 'update_existing',
      status: 'completed',
      review: 'staged',
      trigger: 'ui',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      instructions: '',
      budget_tokens: null,
      session_ids: ['01SESSIONAAAAAA111111'],
      progress: { phase: 'done', blocked: [], held_for_review: null },
      usage: { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      cost_usd: 0.0045,
      error: null,
      created_at: '2026-01-01T00:00:00Z',
      started_at: null,
      finished_at: null,
      applied_at: null,
      reverted_at: null,
    },
    agent: 'helper',
    edits: [
      edit('E1', '/memories/a.md', decisions[0], 'New A\n', null),
      edit('E2', '/memories/b.md', decisions[1], 'New B\n', 'sha-b'),
    ],
    before: {
      '/memories/a.md': { content: null, current_sha256: null },
      // b changed since the dream read it.
      '/memories/b.md': { content: 'Old B\n', current_sha256: 'sha-b-later' },
    },
  }
}

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

describe('DreamDetail', () => {
  test('decide change by change, then apply once everything is decided', async () => {
    let decisions: [string, string] = ['pending', 'pending']
    bridge.answers.set('dreams.get', () => ({ body: detail(decisions) }))
    bridge.answers.set('dreams.decide', (p) => {
      const { edit_id, decision } = p as { edit_id: string; decision: string }
      decisions = edit_id === 'E1' ? [decision, decisions[1]] : [decisions[0], decision]
      return { body: {} }
    })
    bridge.answers.set('dreams.apply', { body: {} })
    bridge.answers.set('sessions.overview', { body: [{ id: '01SESSIONAAAAAA111111', task: 'Summarise the quarterly report\nin two lines' }] })
    const onChanged = vi.fn()
    render(
      <MemoryRouter>
        <DreamDetail id="D1" refresh={0} onChanged={onChanged} />
      </MemoryRouter>,
    )
    const a = await screen.findByRole('article', { name: '/memories/a.md' })
    const b = screen.getByRole('article', { name: '/memories/b.md' })
    // Sources are named by their task, not an id.
    expect(await within(a).findByRole('link', { name: 'Summarise the quarterly report' })).toHaveAttribute('href', '/sessions/01SESSIONAAAAAA111111')
    expect(within(b).getByRole('note')).toHaveTextContent('changed after the dream read it')
    expect(screen.getByText('< $0.01')).toBeInTheDocument()
    const apply = screen.getByRole('button', { name: /^Apply/ })
    expect(apply).toBeDisabled()
    expect(screen.getByText('Accept or reject every change first.')).toBeInTheDocument()

    const user = userEvent.setup()
    await user.click(within(a).getByRole('button', { name: 'Accept' }))
    await screen.findByText('1 accepted · 0 rejected · 1 undecided')
    await user.click(within(b).getByRole('button', { name: 'Reject' }))
    await screen.findByText('1 accepted · 1 rejected · 0 undecided')
    expect(within(b).getByRole('button', { name: 'Reject' })).toHaveAttribute('aria-pressed', 'true')
    await user.click(screen.getByRole('button', { name: 'Apply 1 accepted change' }))
    await screen.findByText('Applied 1 change to helper’s memory.')
    expect(bridge.calls.filter((c) => c.method === 'dreams.decide').map((c) => c.params)).toEqual([
      { edit_id: 'E1', decision: 'accepted' },
      { edit_id: 'E2', decision: 'rejected' },
    ])
    expect(bridge.calls.find((c) => c.method === 'dreams.apply')?.params).toEqual({ id: 'D1' })
    expect(onChanged).toHaveBeenCalled()
  })

  test('an engine refusal is shown as its sentence', async () => {
    bridge.answers.set('dreams.get', { body: detail(['accepted', 'accepted']) })
    bridge.answers.set('dreams.apply', {
      status: 409,
      body: { error: { kind: 'conflict', message: '/memories/b.md changed since the dream read it; reject that edit, or run a new dream' } },
    })
    render(
      <MemoryRouter>
        <DreamDetail id="D1" refresh={0} onChanged={() => {}} />
      </MemoryRouter>,
    )
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Apply 2 accepted changes' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('reject that edit, or run a new dream')
  })

  test('a regressed gate asks before applying; Apply anyway sends force', async () => {
    bridge.answers.set('dreams.get', { body: detail(['accepted', 'accepted']) })
    bridge.answers.set('dreams.apply', (params) =>
      (params as { force?: boolean }).force
        ? { body: {} }
        : {
            status: 409,
            body: { error: { kind: 'needs_confirmation', message: 'The checks got worse with this dream: vacation passed before and fails after (score 1.00 → 0.00). Apply it anyway?' } },
          },
    )
    const onChanged = vi.fn()
    render(
      <MemoryRouter>
        <DreamDetail id="D1" refresh={0} onChanged={onChanged} />
      </MemoryRouter>,
    )
    const user = userEvent.setup()
    await user.click(await screen.findByRole('button', { name: 'Apply 2 accepted changes' }))
    const ask = await screen.findByTestId('apply-confirm')
    expect(ask).toHaveTextContent('vacation passed before and fails after')
    expect(screen.queryByRole('alert')).toBeNull()
    expect(onChanged).not.toHaveBeenCalled()
    await user.click(within(ask).getByRole('button', { name: 'Apply anyway' }))
    await screen.findByText(/despite the regressions/)
    expect(bridge.calls.filter((c) => c.method === 'dreams.apply').map((c) => c.params)).toEqual([{ id: 'D1' }, { id: 'D1', force: true }])
    expect(onChanged).toHaveBeenCalled()
    expect(screen.queryByTestId('apply-confirm')).toBeNull()
  })
})
