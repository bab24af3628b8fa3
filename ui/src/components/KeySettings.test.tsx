// API keys in Settings against a loopback server speaking the bridge's wire format.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../test/bridgeServer'
import { KeySettings } from './KeySettings'

let bridge: BridgeServer
let stored: string | undefined

beforeEach(async () => {
  stored = undefined
  bridge = await startBridgeServer()
  bridge.answers.set('keys.status', () => ({
    body: stored
      ? { provider: 'anthropic', available: true, source: 'keychain', hint: `…${stored.slice(-4)}` }
      : { provider: 'anthropic', available: false, source: null },
  }))
  bridge.answers.set('keys.set', (params) => {
    stored = (params as { key: string }).key
    return { body: { stored: true } }
  })
  bridge.answers.set('keys.delete', () => {
    const removed = stored !== undefined
    stored = undefined
    return { body: { removed } }
  })
})

afterEach(async () => {
  await bridge.close()
})

describe('API keys', () => {
  test('a pasted key is sent once, then only its hint and source show; Remove key deletes it', async () => {
    const user = userEvent.setup()
    render(<KeySettings provider="anthropic" />)
    expect(await screen.findByText('No key yet.')).toBeInTheDocument()
    const field = screen.getByLabelText('Paste your key')
    expect(field).toHaveAttribute('type', 'password')
    await user.type(field, 'sk-ant-secret-wxyz')
    await user.click(screen.getByRole('button', { name: 'Save key' }))
    expect(await screen.findByText('A key ending in …wxyz is set, from the system keychain.')).toBeInTheDocument()
    expect(bridge.calls.find((c) => c.method === 'keys.set')?.params).toEqual({
      provider: 'anthropic',
      key: 'sk-ant-secret-wxyz',
    })
    expect(document.body.innerHTML).not.toContain('sk-ant-secret')
    expect(screen.getByLabelText('Replace the key')).toHaveValue('')

    await user.click(screen.getByRole('button', { name: 'Remove key' }))
    expect(await screen.findByText('No key yet.')).toBeInTheDocument()
    expect(screen.getByRole('status')).toHaveTextContent('Anthropic key removed from the keychain.')
  })

  test('Test connection shows the engine’s sentence', async () => {
    bridge.answers.set('keys.test', { body: { ok: false, message: 'The Anthropic key was refused: paste a new one.' } })
    const user = userEvent.setup()
    render(<KeySettings provider="anthropic" />)
    await screen.findByText('No key yet.')
    await user.click(screen.getByRole('button', { name: 'Test connection' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The Anthropic key was refused: paste a new one.')
  })

  test('the OpenAI-compatible provider also saves its base URL', async () => {
    bridge.answers.set('settings.get', { body: null })
    bridge.answers.set('settings.set', { body: { saved: true } })
    const user = userEvent.setup()
    render(<KeySettings provider="openai" />)
    const url = screen.getByLabelText('Base URL')
    await user.type(url, 'http://127.0.0.1:11434/v1')
    await user.click(screen.getByRole('button', { name: 'Save URL' }))
    await vi.waitFor(() =>
      expect(bridge.calls.find((c) => c.method === 'settings.set')?.params).toEqual({
        key: 'provider.openai.base_url',
        value: 'http://127.0.0.1:11434/v1',
      }),
    )
    expect(await screen.findByText('Base URL saved.')).toBeInTheDocument()
  })
})
