// Serves a built UI folder (default: ui/dist) on 127.0.0.1 at a free port and
// prints "listening on URL", the line the harness waits for. No caching, so a
// rebuilt UI is what the next test sees.
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sirv from 'sirv'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(process.argv[2] ?? path.join(here, '../../ui/dist'))
const serve = sirv(root, { dev: true, etag: false })
const server = http.createServer((req, res) =>
  serve(req, res, () => {
    res.statusCode = 404
    res.end('not found')
  }),
)
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address()
  console.log(`listening on http://127.0.0.1:${port}`)
})
