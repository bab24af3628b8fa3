// Settings › Claude Managed Agents against a loopback bridge that keeps the
// bridge's settings as the engine does: off by default, turned on with the
// ids (empty ones clear), the key shown only as its hint and source, a
// connection check, the linked stores, and refusals in one sentence.
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { ManagedBridgeStatus, ManagedKeyStatus } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { renderRouted } from '../../test/renderRouted'
import { ManagedAgentsSettings } from './ManagedAgentsSettings'

let bridge: BridgeServer
let state: ManagedBridgeStatus

const noKey: ManagedKeyStatus = { available: false, source: null, hint: null, error: null }

beforeEach(async () => {
  state = {
    enabled: false,
    key: noKey,
    base_url: 'https://api.anthropic.com',
    agent_id: null,
    environment_id: null,
    dream_model: null,
    stores: [],
    uploaded_sessions: 0,
    dreams: [],
    reachable: null,
    check_error: null,
  }
  bridge = await startBridgeServer()
  bridge.answers.set('managed.status', (p) => {
    const { check } = p as { check?: boolean }
    if (!check) return { body: state }
    return state.key.available
      ? { body: { ...state, reachable: true } }
      : {
          body: {
            ...state,
            reachable: false,
            check_error:
              'no Anthropic API key for Claude Managed Agents: add one with `reverie key set anthropic` or in Settings, or set ANTHROPIC_API_KEY (nothing was sent)',
          },
        }
  })
  bridge.answers.set('managed.enable', (p) => {
    const given = p as Record<string, string | undefined>
    for (const field of ['agent_id', 'environment_id', 'dream_model'] as const) {
      if (given[field] !== undefined) state[field] = given[field] || null
    }
    state.enabled = true
    return { body: state }
  })
  bridge.answers.set('managed.disable', () => {
    state.enabled = false
    return { body: state }
  })
})

afterEach(async () => {
  await bridge.close()
})

describe('Claude Managed Agents settings', () => {
  test('off by default; turned on with the ids, checked, then turned off with its settings kept', async () => {
    const user = userEvent.setup()
    renderRouted(<ManagedAgentsSettings />)
    const stateLine = await screen.findByTestId('managed-state')
    expect(stateLine).toHaveTextContent('Off Nothing is sent to Claude Managed Agents.')
    expect(screen.getByTestId('managed-key')).toHaveTextContent('No Anthropic key yet')
    expect(screen.queryByRole('button', { name: 'Check connection' })).not.toBeInTheDocument()
    // The environment id is explained where it is asked for.
    expect(screen.getByLabelText('Environment id (optional)')).toHaveAccessibleDescription(/Both are needed to dream on Claude/)

    await user.type(screen.getByLabelText('Managed Agents agent id (optional)'), ' agent_01abc ')
    await user.type(screen.getByLabelText('Environment id (optional)'), 'env_01xyz')
    await user.click(screen.getByRole('button', { name: 'Turn on' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Claude Managed Agents is on. Nothing is sent until you push, pull or dream.')
    expect(bridge.calls.find((c) => c.method === 'managed.enable')?.params).toEqual({
      agent_id: 'agent_01abc',
      environment_id: 'env_01xyz',
      dream_model: '',
    })
    expect(stateLine).toHaveTextContent('On Memory stores can be pushed to Claude')
    expect(screen.getByLabelText('Managed Agents agent id (optional)')).toHaveValue('agent_01abc')

    // Without a key the check says where to add one, in the app's words.
    await user.click(screen.getByRole('button', { name: 'Check connection' }))
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'There is no Anthropic key: add one in Settings › API keys (nothing was sent).',
    )
    state.key = { available: true, source: 'keychain', hint: '…wxyz', error: null }
    await user.click(screen.getByRole('button', { name: 'Check connection' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Connected: Claude Managed Agents answered at https://api.anthropic.com.')
    expect(screen.getByTestId('managed-key')).toHaveTextContent('Uses your Anthropic key ending in …wxyz, from the system keychain.')

    // Clearing a field clears the setting.
    await user.clear(screen.getByLabelText('Environment id (optional)'))
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await screen.findByText('Claude Managed Agents settings saved.')
    expect(bridge.calls.filter((c) => c.method === 'managed.enable').at(-1)?.params).toMatchObject({ environment_id: '' })
    expect(state.environment_id).toBeNull()

    await user.click(screen.getByRole('button', { name: 'Turn off' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Claude Managed Agents is off. Links and settings are kept')
    expect(stateLine).toHaveTextContent('Off')
    expect(state.agent_id).toBe('agent_01abc')
    expect(screen.getByRole('button', { name: 'Turn on' })).toBeInTheDocument()
  })

  test('shows the linked stores with their open conflicts, and where the key came from', async () => {
    state = {
      ...state,
      enabled: true,
      key: { available: true, source: 'environment', hint: '…abcd', error: null },
      stores: [
        { store: 'helper', store_id: 'S1', remote_store_id: 'memstore_01a', open_conflicts: 2 },
        { store: 'writer', store_id: 'S2', remote_store_id: 'memstore_01b', open_conflicts: 0 },
      ],
      uploaded_sessions: 3,
      dreams: [],
    }
    renderRouted(<ManagedAgentsSettings />)
    const table = await screen.findByRole('table', { name: 'Memory stores on Claude' })
    const rows = within(table).getAllByRole('row')
    expect(rows[1]).toHaveTextContent('helpermemstore_01a2 conflicts')
    expect(rows[2]).toHaveTextContent('writermemstore_01bNone')
    expect(within(rows[1]).getByRole('link', { name: 'helper' })).toHaveAttribute('href', '/memory?store=helper')
    expect(screen.getByTestId('managed-key')).toHaveTextContent(
      'Uses your Anthropic key ending in …abcd, from the ANTHROPIC_API_KEY environment variable.',
    )
    expect(screen.getByText(/3 sessions uploaded · 0 dreams run on Claude/)).toBeInTheDocument()
    expect(document.body.innerHTML).not.toContain('sk-ant')
  })

  test('a value with spaces is refused before sending, and an engine refusal shows its sentence', async () => {
    const user = userEvent.setup()
    renderRouted(<ManagedAgentsSettings />)
    await user.type(await screen.findByLabelText('Dream model (optional)'), 'claude sonnet')
    await user.click(screen.getByRole('button', { name: 'Turn on' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The dream model cannot contain spaces: paste just the one value.')
    expect(bridge.calls.some((c) => c.method === 'managed.enable')).toBe(false)

    bridge.answers.set('managed.enable', {
      status: 400,
      body: { error: { kind: 'invalid', message: 'the settings could not be saved: the data folder is read-only' } },
    })
    await user.clear(screen.getByLabelText('Dream model (optional)'))
    await user.click(screen.getByRole('button', { name: 'Turn on' }))
    await vi.waitFor(() =>
      expect(screen.getByRole('alert')).toHaveTextContent('the settings could not be saved: the data folder is read-only'),
    )
    expect(screen.getByTestId('managed-state')).toHaveTextContent('Off')
  })

  test('a keychain that cannot be read says so', async () => {
    state.key = { available: false, source: null, hint: null, error: 'the system keychain is locked: unlock it and try again' }
    renderRouted(<ManagedAgentsSettings />)
    expect(await screen.findByRole('alert')).toHaveTextContent('the system keychain is locked: unlock it and try again')
  })

  test('reads the key again when it changes in the API keys section, keeping what is typed', async () => {
    function WithKeys() {
      const [changes, setChanges] = useState(0)
      return (
        <>
          <button type="button" onClick={() => setChanges((n) => n + 1)}>
            Key saved
          </button>
          <ManagedAgentsSettings refresh={changes} />
        </>
      )
    }
    const user = userEvent.setup()
    renderRouted(<WithKeys />)
    expect(await screen.findByTestId('managed-key')).toHaveTextContent('No Anthropic key yet')
    await user.type(screen.getByLabelText('Managed Agents agent id (optional)'), 'agent_01')
    state.key = { available: true, source: 'keychain', hint: '…k3y9', error: null }
    await user.click(screen.getByRole('button', { name: 'Key saved' }))
    await vi.waitFor(() =>
      expect(screen.getByTestId('managed-key')).toHaveTextContent('Uses your Anthropic key ending in …k3y9, from the system keychain.'),
    )
    expect(screen.getByLabelText('Managed Agents agent id (optional)')).toHaveValue('agent_01')
  })
})
