// The model picker's hint for a local server, from what `models.list`
// answers over a loopback bridge.
import { render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { ModelField } from './ModelField'

let bridge: BridgeServer

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

const local = (ids: string[], live = true, live_error: string | null = null) => ({
  body: {
    provider: 'openai',
    models: ids.map((id) => ({ id, input_usd_per_mtok: null, output_usd_per_mtok: null })),
    live,
    live_error,
  },
})

describe('model field for a local server', () => {
  test('a listed model is confirmed, an unlisted one is named with what the server has', async () => {
    bridge.answers.set('models.list', local(['qwen2.5-coder:7b', 'llama3.2']))
    const { rerender } = render(<ModelField provider="openai" model="llama3.2" onModel={() => {}} />)
    expect(await screen.findByText('A model your local server has; it costs nothing per token.')).toBeInTheDocument()
    rerender(<ModelField provider="openai" model="mistral" onModel={() => {}} />)
    expect(
      screen.getByText('Your server does not list “mistral”; it has qwen2.5-coder:7b, llama3.2.'),
    ).toBeInTheDocument()
    expect(document.querySelectorAll('datalist option')).toHaveLength(2)
  })

  test('a server that cannot be asked: the reason, and what to do', async () => {
    bridge.answers.set('models.list', local([], false, 'could not connect to http://127.0.0.1:11434/v1/models'))
    render(<ModelField provider="openai" model="llama3.2" onModel={() => {}} />)
    expect(
      await screen.findByText(
        'Reverie could not ask the server for its models (could not connect to http://127.0.0.1:11434/v1/models); type the name your server uses.',
      ),
    ).toBeInTheDocument()
  })
})
