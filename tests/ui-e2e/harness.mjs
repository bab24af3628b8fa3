// Shared fixtures for browser tests: start a server process and wait for its
// URL, launch Debian's chromium through playwright-core, run axe-core, save
// screenshots under tests/artifacts/. Tests against the real engine start
// `reverie serve --port 0` (and the fake model server) with the same
// `startServer`, then open the UI with `?bridge=URL`.
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '../..')
export const artifactsDir = path.join(repoRoot, 'tests/artifacts/ui-e2e')
const require = createRequire(import.meta.url)

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
 * Open the UI at `${ui.url}/?bridge=${bridge.url}`.
 */
export function startBridge({ dataDir, env } = {}) {
  const bin = process.env.REVERIE_BIN ?? path.join(repoRoot, 'target/debug/reverie')
  return startServer(bin, ['serve', '--port', '0', '--data-dir', dataDir], { env })
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
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') })
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
 * Calls the engine's API through a bridge (as the UI does) to set up or
 * check state; throws with the engine's answer when the call fails.
 */
export async function bridgeCall(bridgeUrl, method, params = {}) {
  const response = await fetch(`${bridgeUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
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
