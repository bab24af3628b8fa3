// Onboarding's first step against a loopback server speaking the bridge's
// wire format: the local-server path saves the address and model in
// Settings (never a key) and tests the connection; a failed test still
// lets a person continue; a bad address is refused before any call.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { ConnectStep } from './ConnectStep'

let bridge: BridgeServer
let connected: boolean

beforeEach(async () => {
  connected = true
  bridge = await startBridgeServer()
  bridge.answers.set('keys.status', { body: { provider: 'anthropic', available: false, source: null } })
  bridge.answers.set('settings.get', { body: null })
  bridge.answers.set('settings.set', { body: { saved: true } })
  bridge.answers.set('keys.test', () => ({
    body: connected
      ? { ok: true, message: 'Connected.' }
      : { ok: false, message: 'The server at http://127.0.0.1:11434/v1 is not answering.' },
  }))
})

afterEach(async () => {
  await bridge.close()
})

test('a local server: address and model saved in Settings, tested, then Continue', async () => {
  const user = userEvent.setup()
  const onDone = vi.fn()
  render(<ConnectStep onDone={onDone} />)
  await user.click(screen.getByRole('radio', { name: /A model server on this computer/ }))
  const model = screen.getByRole('textbox', { name: 'Model' })
  await user.clear(model)
  await user.type(model, 'qwen2.5')
  await user.click(screen.getByRole('button', { name: 'Save and test' }))
  expect(await screen.findByRole('status')).toHaveTextContent('Connected to http://127.0.0.1:11434/v1.')
  const saved = bridge.calls.filter((c) => c.method === 'settings.set').map((c) => c.params)
  expect(saved).toEqual([
    { key: 'provider.openai.base_url', value: 'http://127.0.0.1:11434/v1' },
    { key: 'defaults.model.openai', value: 'qwen2.5' },
    { key: 'provider.openai.test_model', value: 'qwen2.5' },
  ])
  expect(bridge.calls.some((c) => c.method === 'keys.set')).toBe(false)
  await user.click(screen.getByRole('button', { name: 'Continue' }))
  expect(onDone).toHaveBeenCalledWith('openai', 'qwen2.5')
})

test('a server that does not answer says so and still lets a person continue', async () => {
  connected = false
  const user = userEvent.setup()
  const onDone = vi.fn()
  render(<ConnectStep provider="openai" onDone={onDone} />)
  expect(screen.getByRole('button', { name: 'Continue' })).toBeDisabled()
  await user.click(screen.getByRole('button', { name: 'Save and test' }))
  expect(await screen.findByRole('alert')).toHaveTextContent(
    'is not answering. Start the server and test again, or continue and fix it later in Settings.',
  )
  await user.click(screen.getByRole('button', { name: 'Continue anyway' }))
  expect(onDone).toHaveBeenCalledWith('openai', 'llama3.2')
})

test('an address that is not a URL is refused before anything is saved', async () => {
  const user = userEvent.setup()
  render(<ConnectStep provider="openai" onDone={() => {}} />)
  const address = screen.getByRole('textbox', { name: 'Server address' })
  await user.clear(address)
  await user.type(address, 'localhost:11434')
  await user.click(screen.getByRole('button', { name: 'Save and test' }))
  expect(await screen.findByRole('alert')).toHaveTextContent('Type the server’s full address, like http://127.0.0.1:11434/v1.')
  expect(bridge.calls.some((c) => c.method === 'settings.set')).toBe(false)
})
