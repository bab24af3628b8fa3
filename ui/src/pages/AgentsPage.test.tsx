// The Agents screen against a real HTTP server on loopback speaking the
// bridge's wire format, with the answers each test sets.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { render, screen } from '@testing-library/react'
import { MemoryRouter } from '../test/MemoryRouter'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { bridgeTransport, setTransport } from '../api'
import { AgentsPage } from './AgentsPage'

let server: http.Server
let answer: { status: number; body: unknown } = { status: 200, body: [] }

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.url !== '/api/agents.list') {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { kind: 'unknown_method', message: `no call ${req.url}` } }))
        return
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  setTransport(bridgeTransport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
})

afterEach(() => {
  answer = { status: 200, body: [] }
})

afterAll(() => {
  setTransport(undefined)
  server.close()
})

function renderPage() {
  render(
    <MemoryRouter>
      <AgentsPage />
    </MemoryRouter>,
  )
}

describe('Agents', () => {
  test('with no agents it says how to create one', async () => {
    renderPage()
    expect(await screen.findByRole('heading', { name: 'No agents yet' })).toBeInTheDocument()
  })

  test('lists each agent with its model and provider', async () => {
    answer = {
      status: 200,
      body: [
        { id: '1', name: 'Researcher', provider: 'anthropic', model: 'claude-sonnet-4-5', stores: [] },
        { id: '2', name: 'Local helper', provider: 'openai', model: 'llama3.2', stores: [] },
      ],
    }
    renderPage()
    const list = await screen.findByRole('list', { name: 'Agents' })
    expect(list.children).toHaveLength(2)
    expect(list).toHaveTextContent('Researcher')
    expect(list).toHaveTextContent('claude-sonnet-4-5 · Anthropic')
    expect(list).toHaveTextContent('llama3.2 · OpenAI-compatible')
    expect(screen.queryByText('No agents yet')).not.toBeInTheDocument()
  })

  test("shows the engine's sentence when the call fails", async () => {
    answer = { status: 500, body: { error: { kind: 'data', message: 'The data folder is read-only: pick another one.' } } }
    renderPage()
    expect(await screen.findByRole('alert')).toHaveTextContent('The data folder is read-only: pick another one.')
  })
})
