// Shared fixtures for browser tests: start a server process and wait for its
// URL, launch Debian's chromium through playwright-core, run axe-core, save
// screenshots under tests/artifacts/. Tests against the real engine start
// `reverie serve --port 0` (and the fake model server) with the same
// `startServer`, then open the UI with `?bridge=URL`; `startStack` does all
// of that, and its tear-down, for a test file.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '../..')
export const artifactsDir = path.join(repoRoot, 'tests/artifacts/ui-e2e')
const require = createRequire(import.meta.url)
const reverieBin = process.env.REVERIE_BIN ?? path.join(repoRoot, 'target/debug/reverie')

/**
 * Spawns `command args` and resolves once it prints an http://127.0.0.1:PORT
 * URL on stdout. Returns `{ url, stop }`; `stop` ends the process. Fails with
 * the process's output if it exits or stays silent for `timeoutMs`.
 */
export function startServer(command, args, { env, cwd, timeoutMs = 15000 } = {}) {
  const child = spawn(command, args, {
    cwd: cwd ?? repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${command} printed no URL within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = (chunk) => {
      output += chunk
      const match = output.match(/https?:\/\/127\.0\.0\.1:\d+/)
      if (match) {
        clearTimeout(timer)
        resolve({ url: match[0], stop })
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${command} exited with ${code} before printing a URL:\n${output}`))
    })
    // A binary that is not there: a failed start-up, not an uncaught error.
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`${command} did not start: ${error.message}`))
    })
  })
}

/** Serves the built UI (ui/dist; run `npm run build` in ui/ first). */
export function serveUi() {
  return startServer(process.execPath, [path.join(here, 'static-server.mjs')])
}

/**
 * The fake model server (`cargo build -p reverie-fake-model`), optionally
 * scripted with a JSON file; point the engine at it with ANTHROPIC_BASE_URL.
 */
export function startFakeModelServer({ script } = {}) {
  const bin = process.env.FAKE_MODEL_SERVER_BIN ?? path.join(repoRoot, 'target/debug/fake-model-server')
  return startServer(bin, script ? ['--script', script] : [])
}

/**
 * The engine's HTTP bridge for the UI (`reverie serve --port 0`, arriving
 * with the engine's API table) on a data folder, e.g. with
 * `env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'test' }`.
 * The bridge only answers with its per-start token (read here from the
 * `serve-token` file it writes) and only to pages from `uiOrigin`: open the
 * UI through `signInUrl(bridge, page)` so the browser gets the token's
 * cookie; Node calls send `authorization: Bearer ${bridge.token}`.
 */
export async function startBridge({ dataDir, env, uiOrigin } = {}) {
  const args = ['serve', '--port', '0', '--data-dir', dataDir]
  if (uiOrigin) args.push('--ui-origin', uiOrigin)
  const server = await startServer(reverieBin, args, { env })
  const token = readFileSync(path.join(dataDir, 'serve-token'), 'utf8').trim()
  return { ...server, token, headers: { authorization: `Bearer ${token}` } }
}

/** The bridge's sign-in address that sets its cookie, then opens `page` (a URL of the UI's origin). */
export function signInUrl(bridge, page) {
  return `${bridge.url}/auth?token=${bridge.token}&next=${encodeURIComponent(page)}`
}

/** Debian's chromium, with the flags this machine needs (see PLATFORM.md). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  })
}

/** Opens a page that records console errors and uncaught exceptions. */
export async function openPage(browser, { colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 780 } })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  return { page, context, errors }
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function seriousViolations(page) {
  // Evaluated rather than added as a <script>: the page's security policy
  // (the app's own) refuses inline scripts.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'))
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }))
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true })
  const file = path.join(artifactsDir, `${name}.png`)
  await page.screenshot({ path: file })
  return file
}

/**
 * Calls the engine's API through a bridge from `startBridge` (with its
 * token, as the UI does) to set up or check state; throws with the engine's
 * answer when the call fails.
 */
export async function bridgeCall(bridge, method, params = {}) {
  const response = await fetch(`${bridge.url}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bridge.headers },
    body: JSON.stringify(params),
  })
  const body = await response.json()
  if (!response.ok) throw new Error(`${method}: ${JSON.stringify(body)}`)
  return body
}

/**
 * Waits until `read` (run in the page on the focused element) gives `want`,
 * then passes; after `timeoutMs` it fails with what it last read. Focus often
 * moves in an effect after the click or key that caused it, so reading it
 * once right away races the UI.
 */
export async function waitForFocus(page, read, want, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  let got
  for (;;) {
    got = await page.evaluate(read)
    if (got === want || Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  if (got !== want) throw new Error(`focus: expected ${JSON.stringify(want)}, found ${JSON.stringify(got)?.slice(0, 200)}`)
}

/**
 * Calls one of the fake model server's control routes (`/_fake/ROUTE`): GET
 * without a body, else POST it as JSON. Throws with the server's answer when
 * it refuses; returns the JSON it sends back (null when it sends nothing).
 */
export async function fakeControl(fakeUrl, route, body) {
  const response = await fetch(`${fakeUrl}/_fake/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`/_fake/${route}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : null
}

/** The page errors a test checks, without chromium's log of the HTTP 4xx it was meant to get. */
export const ignorable = (errors) => errors.filter((e) => !/Failed to load resource/.test(e))

/**
 * Starts what a browser test file drives, once, so every file shares one
 * start-up and, above all, one tear-down (no process or folder outlives a
 * run): a temp data folder (plus `dirs`, by name), the fake model server
 * (loaded with `script`), `reverie serve` on the folder with
 * ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY pointing at the fake server (`env`,
 * an object or a function of the stack, merged over them), the built UI and
 * chromium. `bridge: false` starts only the UI and browser; `fake: false` the
 * engine without the fake server or those variables; `browser: false` no
 * chromium. Returns the pieces with `api`, `at`, `script`, `runTask` (resolves
 * with the session id once it has finished) and `stop`, which undoes what was
 * started in reverse order; a start-up that fails half-way stops what it had
 * started before it throws.
 */
export async function startStack(name, options = {}) {
  const { bridge: withBridge = true, browser: withBrowser = true, script: initialScript, env, dirs: dirNames = [] } = options
  const withFake = withBridge && (options.fake ?? true)
  if (withBridge) assert.ok(existsSync(reverieBin), `no reverie binary at ${reverieBin}: run cargo build -p reverie-cli`)
  const stack = { dataDir: undefined, dirs: {}, fake: undefined, bridge: undefined, ui: undefined, browser: undefined }
  let stopped = false
  stack.stop = async () => {
    if (stopped) return
    stopped = true
    // Each step runs even if one before it fails; the first failure is rethrown.
    const failures = []
    const attempt = async (step) => {
      try {
        await step()
      } catch (error) {
        failures.push(error)
      }
    }
    await attempt(() => stack.browser?.close())
    await attempt(() => stack.ui?.stop())
    await attempt(() => stack.bridge?.stop())
    await attempt(() => stack.fake?.stop())
    for (const dir of [stack.dataDir, ...Object.values(stack.dirs)]) {
      if (dir) await attempt(() => rmSync(dir, { recursive: true, force: true }))
    }
    if (failures.length > 0) throw failures[0]
  }
  stack.api = (method, params) => bridgeCall(stack.bridge, method, params)
  stack.at = (screen) =>
    stack.bridge
      ? signInUrl(stack.bridge, `${stack.ui.url}/?bridge=${encodeURIComponent(stack.bridge.url)}#/${screen}`)
      : `${stack.ui.url}/#/${screen}`
  stack.script = (body) => fakeControl(stack.fake.url, 'script', body)
  stack.runTask = async (agent, task) => {
    const { session_id } = await stack.api('run.start', { agent, task })
    for (let i = 0; i < 400; i++) {
      const { session } = await stack.api('sessions.get', { id: session_id })
      if (session.status !== 'running') return session_id
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`session ${session_id} did not finish`)
  }

  try {
    const tempDir = (label) => mkdtempSync(path.join(os.tmpdir(), `reverie-ui-${label}-`))
    if (withBridge) stack.dataDir = tempDir(name)
    for (const dir of dirNames) stack.dirs[dir] = tempDir(`${name}-${dir}`)
    if (withFake) {
      stack.fake = await startFakeModelServer()
      if (initialScript !== undefined) await stack.script(initialScript)
    }
    // The UI first: the bridge is told its origin, the only one it answers.
    stack.ui = await serveUi()
    if (withBridge) {
      const extra = typeof env === 'function' ? env(stack) : env
      const defaults = withFake ? { ANTHROPIC_BASE_URL: stack.fake.url, ANTHROPIC_API_KEY: 'sk-ant-test-abcd' } : {}
      stack.bridge = await startBridge({ dataDir: stack.dataDir, env: { ...defaults, ...extra }, uiOrigin: stack.ui.url })
    }
    if (withBrowser) stack.browser = await launchBrowser()
  } catch (error) {
    await stack.stop().catch(() => {})
    throw error
  }
  return stack
}
