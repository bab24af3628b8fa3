// @vitest-environment node
// The bridge transport against a real HTTP server on loopback that speaks the
// bridge's wire format: JSON calls, the error envelope, server-sent events.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ApiError, bridgeBase, bridgeTransport, disconnectedTransport, type ApiEvent } from '.'

let server: http.Server
let base: string
const received: { method: string; url: string; contentType: string; body: unknown }[] = []

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write('data: {"type":"session.event","session_id":"s1","seq":1}\n\n')
      res.write('data: not json\n\n')
      res.write('data: {"type":"dream.status","status":"running"}\n\n')
      return
    }
    let text = ''
    for await (const chunk of req) text += chunk
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      contentType: req.headers['content-type'] ?? '',
      body: text ? JSON.parse(text) : undefined,
    })
    const route = req.url?.replace(/^\/api\//, '')
    if (route === 'echo') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ youSent: JSON.parse(text) }))
    } else if (route === 'agent.missing') {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { kind: 'not_found', message: 'No agent is named "x": check the name with Agents.' } }))
    } else if (route === 'garbled') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('<html>')
    } else if (route === 'nothing') {
      res.writeHead(204)
      res.end()
    } else {
      res.writeHead(500)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('bridge transport', () => {
  test('posts params as JSON to /api/{method} and returns the JSON answer', async () => {
    const api = bridgeTransport(`${base}/`)
    await expect(api.call('echo', { name: 'Ada', n: 2 })).resolves.toEqual({ youSent: { name: 'Ada', n: 2 } })
    expect(received.at(-1)).toMatchObject({ method: 'POST', url: '/api/echo', contentType: 'application/json' })
    await expect(api.call('echo', undefined)).resolves.toEqual({ youSent: {} })
    await expect(api.call('nothing', {})).resolves.toBeNull()
  })

  test("sends the bridge's sign-in cookie with calls and the event stream", async () => {
    const seen: RequestInit[] = []
    const fetchSpy = (async (_url: string, init: RequestInit) => {
      seen.push(init)
      return new Response('{}', { status: 200 })
    }) as unknown as typeof fetch
    const sources: { url: string; init?: EventSourceInit }[] = []
    class FakeSource {
      onmessage: ((m: MessageEvent) => void) | null = null
      constructor(url: string, init?: EventSourceInit) {
        sources.push({ url, init })
      }
      close() {}
    }
    const api = bridgeTransport(base, { fetch: fetchSpy, EventSource: FakeSource as unknown as typeof EventSource })
    await api.call('echo', {})
    expect(seen[0].credentials).toBe('include')
    api.subscribe(() => {})()
    expect(sources[0]).toEqual({ url: `${base}/api/events`, init: { withCredentials: true } })
  })

  test("turns the engine's error envelope into an ApiError with its sentence", async () => {
    const error = await bridgeTransport(base).call('agent.missing', {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      kind: 'not_found',
      method: 'agent.missing',
      message: 'No agent is named "x": check the name with Agents.',
    })
  })

  test('reports a bare failure status and a non-JSON answer clearly', async () => {
    await expect(bridgeTransport(base).call('unknown', {})).rejects.toThrow(
      'The engine refused "unknown" (HTTP 500).',
    )
    await expect(bridgeTransport(base).call('garbled', {})).rejects.toThrow(/not JSON \(HTTP 200\)/)
  })

  test('says how to start the engine when nothing listens', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await bridgeTransport(`http://127.0.0.1:${port}`).call('echo', {}).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'unreachable' })
    expect((error as Error).message).toMatch(/start it with `reverie serve`/)
  })

  test('refuses a method name that could escape /api/', async () => {
    const before = received.length
    await expect(bridgeTransport(base).call('../admin', {})).rejects.toMatchObject({ kind: 'invalid_method' })
    expect(received.length).toBe(before)
  })

  test('delivers server-sent events and skips lines that are not events', async () => {
    const api = bridgeTransport(base, { EventSource: EventSource as unknown as typeof globalThis.EventSource })
    const events: ApiEvent[] = []
    const stop = await new Promise<() => void>((resolve) => {
      const unsubscribe = api.subscribe((event) => {
        events.push(event)
        if (events.length === 2) resolve(unsubscribe)
      })
    })
    stop()
    expect(events).toEqual([
      { type: 'session.event', session_id: 's1', seq: 1 },
      { type: 'dream.status', status: 'running' },
    ])
  })
})

describe('choosing a bridge', () => {
  test('takes ?bridge= first, then VITE_BRIDGE_URL', () => {
    expect(bridgeBase('?bridge=http://127.0.0.1:7420/', 'http://localhost:1')).toEqual({
      base: 'http://127.0.0.1:7420',
    })
    expect(bridgeBase('', 'http://localhost:9000')).toEqual({ base: 'http://localhost:9000' })
    expect(bridgeBase('', undefined)).toBeNull()
  })

  test('refuses an address that is not on this computer or not a URL', () => {
    expect(bridgeBase('?bridge=http://example.com:7420', undefined)).toEqual({
      error: expect.stringMatching(/is not on this computer/),
    })
    expect(bridgeBase('?bridge=file:///etc/passwd', undefined)).toEqual({
      error: expect.stringMatching(/is not on this computer/),
    })
    expect(bridgeBase('?bridge=nonsense', undefined)).toEqual({ error: expect.stringMatching(/is not a URL/) })
  })

  test('without an engine every call fails with the reason instead of data', async () => {
    const api = disconnectedTransport('Not connected to an engine.')
    await expect(api.call('agent.list', {})).rejects.toMatchObject({
      kind: 'not_connected',
      message: 'Not connected to an engine.',
    })
  })
})
