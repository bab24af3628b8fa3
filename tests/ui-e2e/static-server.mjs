// Serves a built UI folder (default: ui/dist) on 127.0.0.1 at a free port and
// prints "listening on URL", the line the harness waits for. No caching, so a
// rebuilt UI is what the next test sees.
//
// Every response carries the app window's own content security policy
// (tauri.conf.json), so the browser tests meet what the window enforces: a
// style or script the policy blocks fails here too. The one difference: the
// UI reaches its engine through `reverie serve` on loopback, not Tauri's IPC.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sirv from 'sirv'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(process.argv[2] ?? path.join(here, '../../ui/dist'))
const serve = sirv(root, { dev: true, etag: false })
const { csp } = JSON.parse(readFileSync(path.join(here, '../../tauri.conf.json'), 'utf8')).app.security
const policy = Object.entries(csp)
  .map(([directive, sources]) => (directive === 'connect-src' ? `${directive} 'self' http://127.0.0.1:*` : `${directive} ${sources}`))
  .join('; ')
const server = http.createServer((req, res) => {
  res.setHeader('Content-Security-Policy', policy)
  serve(req, res, () => {
    res.statusCode = 404
    res.end('not found')
  })
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address()
  console.log(`listening on http://127.0.0.1:${port}`)
})
