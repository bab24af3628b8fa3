// The Memory screen's Claude Managed Agents panel against a loopback bridge:
// hidden while the bridge is off; a first push links the store and says what
// moved; a pull that meets a change made on both sides lists the conflict,
// opens the kept copy and marks it resolved; a teammate's store can be
// pulled by id; refusals are one sentence saying where to go in the app.
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { ManagedBridgeStatus, ManagedConflict, ManagedSyncReport } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { renderRouted } from '../../test/renderRouted'
import { ManagedPanel } from './ManagedPanel'

let bridge: BridgeServer
let state: ManagedBridgeStatus
let conflicts: ManagedConflict[]

const conflict: ManagedConflict = {
  id: 'C1',
  store_id: 'S1',
  dir: 'managed-agents:memstore_01a',
  path: '/memories/notes.md',
  conflict_path: '/memories/notes.conflict-20260101T000000Z.md',
  kind: 'both_changed',
  store_sha256: 'aa',
  folder_sha256: 'bb',
  detected_at: new Date().toISOString(),
  resolved_at: null,
}

const report = (over: Partial<ManagedSyncReport>): ManagedSyncReport => ({
  direction: 'push',
  store: 'helper',
  store_id: 'S1',
  remote_store_id: 'memstore_01a',
  created_remote_store: false,
  created_local_store: false,
  events: [],
  waiting: [],
  open_conflicts: [],
  ...over,
})

const link = () => {
  state.stores = [{ store: 'helper', store_id: 'S1', remote_store_id: 'memstore_01a', open_conflicts: conflicts.length }]
}

beforeEach(async () => {
  conflicts = []
  state = {
    enabled: true,
    key: { available: true, source: 'keychain', hint: '…abcd', error: null },
    base_url: 'https://api.anthropic.com',
    agent_id: 'agent_01',
    environment_id: 'env_01',
    dream_model: null,
    stores: [],
    uploaded_sessions: 0,
    dreams: [],
    reachable: null,
    check_error: null,
  }
  bridge = await startBridgeServer()
  bridge.answers.set('managed.status', () => ({ body: state }))
  bridge.answers.set('managed.conflicts', () => ({ body: conflicts }))
  bridge.answers.set('managed.dreams', { body: [] })
})

afterEach(async () => {
  await bridge.close()
})

const renderPanel = (props: Partial<Parameters<typeof ManagedPanel>[0]> = {}) =>
  renderRouted(<ManagedPanel store="helper" storeId="S1" refresh={0} onOpen={() => {}} onChanged={() => {}} {...props} />)

describe('Claude Managed Agents panel', () => {
  test('is not shown while the bridge is off', async () => {
    state.enabled = false
    renderPanel()
    await vi.waitFor(() => expect(bridge.calls.some((c) => c.method === 'managed.status')).toBe(true))
    await new Promise((r) => setTimeout(r, 50))
    expect(screen.queryByRole('region', { name: 'Claude Managed Agents' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Push' })).not.toBeInTheDocument()
  })

  test('a first push creates the store on Claude, links it, and says what moved', async () => {
    bridge.answers.set('managed.push', () => {
      link()
      return {
        body: report({
          created_remote_store: true,
          events: [
            { event: 'pushed', path: '/memories/notes.md', created: true },
            { event: 'pushed', path: '/memories/_index.md', created: true },
          ],
        }),
      }
    })
    const onChanged = vi.fn()
    const user = userEvent.setup()
    renderPanel({ onChanged })
    const panel = await screen.findByRole('region', { name: 'Claude Managed Agents' })
    expect(within(panel).getByTestId('managed-link')).toHaveTextContent('Not on Claude yet.')
    // Pull needs a link: only a teammate's store id can be pulled now.
    expect(within(panel).queryByRole('button', { name: 'Pull' })).not.toBeInTheDocument()
    await user.click(within(panel).getByRole('button', { name: 'Push' }))
    expect(await within(panel).findByText('Created a memory store on Claude. Pushed 2 documents to Claude.')).toBeInTheDocument()
    expect(bridge.calls.find((c) => c.method === 'managed.push')?.params).toEqual({ store: 'helper' })
    await user.click(within(panel).getByText('What moved'))
    expect(within(panel).getByText('/memories/notes.md: pushed (new on Claude)')).toBeVisible()
    await vi.waitFor(() => expect(within(panel).getByTestId('managed-link')).toHaveTextContent('On Claude as memstore_01a.'))
    expect(within(panel).getByRole('button', { name: 'Pull' })).toBeInTheDocument()
    // A push writes nothing here.
    expect(onChanged).not.toHaveBeenCalled()
  })

  test('a pull that meets changes on both sides keeps both, lists the conflict, opens the copy and marks it resolved', async () => {
    link()
    bridge.answers.set('managed.pull', () => {
      conflicts = [conflict]
      link()
      return {
        body: report({
          direction: 'pull',
          events: [
            { event: 'pulled', path: '/memories/plan.md', version: 3 },
            { event: 'conflict', conflict },
          ],
          waiting: ['/memories/todo.md'],
          open_conflicts: [conflict],
        }),
      }
    })
    bridge.answers.set('managed.resolve_conflict', () => {
      conflicts = []
      link()
      return { body: { ...conflict, resolved_at: new Date().toISOString() } }
    })
    const onOpen = vi.fn()
    const onChanged = vi.fn()
    const user = userEvent.setup()
    renderPanel({ onOpen, onChanged })
    const panel = await screen.findByRole('region', { name: 'Claude Managed Agents' })
    await user.click(within(panel).getByRole('button', { name: 'Pull' }))
    expect(
      await within(panel).findByText(
        'Pulled 1 document from Claude; 1 document changed on both sides, so both versions were kept (see the conflicts below); 1 document changed here waits for Push.',
      ),
    ).toBeInTheDocument()
    expect(onChanged).toHaveBeenCalled()
    const list = within(panel).getByRole('list', { name: 'Conflicts to look at' })
    const row = within(list).getByRole('listitem')
    expect(row).toHaveTextContent(
      '/memories/notes.md changed here and on Claude; this version stayed here and Claude’s text was kept as /memories/notes.conflict-20260101T000000Z.md. · just now',
    )
    await user.click(within(row).getByRole('button', { name: 'Open Claude’s version' }))
    expect(onOpen).toHaveBeenCalledWith('/memories/notes.conflict-20260101T000000Z.md')
    await user.click(within(row).getByRole('button', { name: 'Open this version' }))
    expect(onOpen).toHaveBeenLastCalledWith('/memories/notes.md')
    await user.click(within(row).getByRole('button', { name: 'Mark resolved' }))
    await vi.waitFor(() => expect(within(panel).queryByRole('list', { name: 'Conflicts to look at' })).not.toBeInTheDocument())
    expect(bridge.calls.find((c) => c.method === 'managed.resolve_conflict')?.params).toEqual({ id: 'C1' })
  })

  test('open conflicts show on arrival; the other kinds say what was kept', async () => {
    conflicts = [
      { ...conflict, id: 'C2', path: '/memories/gone.md', conflict_path: null, kind: 'deleted_in_store' },
      { ...conflict, id: 'C3', path: '/memories/kept.md', conflict_path: null, kind: 'deleted_in_folder' },
    ]
    link()
    renderPanel()
    const list = await screen.findByRole('list', { name: 'Conflicts to look at' })
    const [gone, kept] = within(list).getAllByRole('listitem')
    expect(gone).toHaveTextContent('deleted here but changed on Claude; Claude’s version was brought back here.')
    expect(kept).toHaveTextContent('deleted on Claude but changed here; this version was kept and goes back to Claude on the next push.')
    expect(within(gone).getByRole('button', { name: 'Open document' })).toBeInTheDocument()
  })

  test('pulls a teammate’s store by id into an unlinked store', async () => {
    bridge.answers.set('managed.pull', () => {
      link()
      return { body: report({ direction: 'pull', events: [{ event: 'pulled', path: '/memories/team.md', version: 1 }] }) }
    })
    const user = userEvent.setup()
    renderPanel()
    const form = await screen.findByRole('form', { name: 'Pull a teammate’s store' })
    await user.type(within(form).getByLabelText('Or pull a teammate’s store into this one'), 'memstore bad')
    await user.click(within(form).getByRole('button', { name: 'Pull it here' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('That is not a Managed Agents store id')
    expect(bridge.calls.some((c) => c.method === 'managed.pull')).toBe(false)
    await user.clear(within(form).getByLabelText('Or pull a teammate’s store into this one'))
    await user.type(within(form).getByLabelText('Or pull a teammate’s store into this one'), 'memstore_01team')
    await user.click(within(form).getByRole('button', { name: 'Pull it here' }))
    expect(await screen.findByText('Pulled 1 document from Claude.')).toBeInTheDocument()
    expect(bridge.calls.find((c) => c.method === 'managed.pull')?.params).toEqual({ store: 'helper', remote: 'memstore_01team' })
  })

  test('a refusal is one sentence saying where to go, and a missing key is pointed out before trying', async () => {
    state.key = { available: false, source: null, hint: null, error: null }
    bridge.answers.set('managed.push', {
      status: 400,
      body: {
        error: {
          kind: 'invalid',
          message:
            'no Anthropic API key for Claude Managed Agents: add one with `reverie key set anthropic` or in Settings, or set ANTHROPIC_API_KEY (nothing was sent)',
        },
      },
    })
    const user = userEvent.setup()
    renderPanel()
    const panel = await screen.findByRole('region', { name: 'Claude Managed Agents' })
    expect(within(panel).getByRole('link', { name: 'add it in Settings' })).toHaveAttribute('href', '/settings')
    await user.click(within(panel).getByRole('button', { name: 'Push' }))
    expect(await within(panel).findByRole('alert')).toHaveTextContent(
      /^There is no Anthropic key: add one in Settings › API keys \(nothing was sent\)\.$/,
    )
  })
})
