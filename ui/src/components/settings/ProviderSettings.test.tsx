// Changing the Anthropic API address when a key is saved: the engine asks
// for confirmation (`needs_confirmation`), the app says where the key would
// go, and only "Send my key there" saves it, with `confirm_key_host`.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { ProviderSettings } from './ProviderSettings'

let bridge: BridgeServer
let savedUrl: string | null

beforeEach(async () => {
  savedUrl = null
  bridge = await startBridgeServer()
  bridge.answers.set('settings.get', (params) => ({
    body: (params as { key: string }).key === 'provider.anthropic.base_url' ? savedUrl : null,
  }))
  bridge.answers.set('models.list', { body: { models: [], error: null } })
  bridge.answers.set('settings.set', (params) => {
    const p = params as { key: string; value: string; confirm_key_host?: boolean }
    if (p.key === 'provider.anthropic.base_url' && p.value && !p.confirm_key_host) {
      return {
        status: 409,
        body: {
          error: {
            kind: 'needs_confirmation',
            message: 'Your API key will be sent to https://gateway.example. Only continue if you trust that server.',
          },
        },
      }
    }
    if (p.key === 'provider.anthropic.base_url') savedUrl = p.value
    return { body: { saved: true } }
  })
})

afterEach(async () => {
  await bridge.close()
})

const addressCalls = () =>
  bridge.calls
    .filter((c) => c.method === 'settings.set')
    .map((c) => c.params as { key: string; value: string; confirm_key_host?: boolean })
    .filter((p) => p.key === 'provider.anthropic.base_url')

describe('the Anthropic API address', () => {
  test('a new host is saved only after the person agrees to send the key there', async () => {
    const user = userEvent.setup()
    render(<ProviderSettings />)
    const field = await screen.findByLabelText('Anthropic API address')
    await user.type(field, 'https://gateway.example/v1')
    await user.click(screen.getByRole('button', { name: 'Save providers and models' }))

    const question = await screen.findByRole('alertdialog')
    expect(question).toHaveTextContent('Your API key will be sent to https://gateway.example.')
    // The safe answer has focus; Cancel keeps the old address.
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus()
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Nothing saved')
    expect(savedUrl).toBeNull()
    expect(addressCalls().every((p) => !p.confirm_key_host)).toBe(true)

    await user.click(screen.getByRole('button', { name: 'Save providers and models' }))
    await user.click(await screen.findByRole('button', { name: 'Send my key there' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Providers and default models saved.')
    expect(savedUrl).toBe('https://gateway.example/v1')
    expect(addressCalls().at(-1)).toEqual({
      key: 'provider.anthropic.base_url',
      value: 'https://gateway.example/v1',
      confirm_key_host: true,
    })
    expect(screen.queryByRole('alertdialog')).toBeNull()
  })
})
