/**
 * A real HTTP server on loopback speaking the bridge's wire format, for
 * component tests: each test sets what a method answers, reads the params
 * the UI sent, and pushes events down `GET /api/events`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { EventSource } from 'eventsource'
import { bridgeTransport, setTransport } from '../api'

type Answer = { status?: number; body: unknown } | ((params: unknown) => { status?: number; body: unknown })

export interface BridgeServer {
  answers: Map<string, Answer>
  calls: { method: string; params: unknown }[]
  /** Sends one event to every connected event stream. */
  emit(event: unknown): void
  /** Resolves once at least one event stream is connected. */
  connected(): Promise<void>
  close(): Promise<void>
}

export async function startBridgeServer(): Promise<BridgeServer> {
  const answers = new Map<string, Answer>()
  const calls: { method: string; params: unknown }[] = []
  const streams = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end()
      return
    }
    if (req.url === '/api/events') {
      res.writeHead(200, { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(': connected\n\n')
      streams.add(res)
      req.on('close', () => streams.delete(res))
      return
    }
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '')
      const params = body ? JSON.parse(body) : {}
      calls.push({ method, params })
      const found = answers.get(method)
      const answer = typeof found === 'function' ? found(params) : found
      const status = answer ? (answer.status ?? 200) : 404
      const payload = answer
        ? answer.body
        : { error: { kind: 'unknown_method', message: `the engine has no call named '${method}'` } }
      res.writeHead(status, { ...cors, 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  setTransport(bridgeTransport(base, { EventSource: EventSource as unknown as typeof globalThis.EventSource }))
  return {
    answers,
    calls,
    emit(event) {
      for (const res of streams) res.write(`data: ${JSON.stringify(event)}\n\n`)
    },
    async connected() {
      while (streams.size === 0) await new Promise((r) => setTimeout(r, 10))
    },
    async close() {
      setTransport(undefined)
      for (const res of streams) res.end()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
