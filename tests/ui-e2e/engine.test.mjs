// The UI against the real engine: `reverie serve` on a fresh data folder,
// the built UI opened with ?bridge=, in Debian's chromium.
// Needs `cargo build -p reverie-cli` (or REVERIE_BIN) and a built ui/dist.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { launchBrowser, openPage, repoRoot, screenshot, seriousViolations, serveUi, startBridge } from './harness.mjs'

const reverie = process.env.REVERIE_BIN ?? path.join(repoRoot, 'target/debug/reverie')
let dataDir
let bridge
let ui
let browser

before(async () => {
  assert.ok(existsSync(reverie), `no reverie binary at ${reverie}: run cargo build -p reverie-cli`)
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'reverie-ui-e2e-'))
  bridge = await startBridge({ dataDir })
  ui = await serveUi()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await ui?.stop()
  await bridge?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

async function engineCall(method, params) {
  const response = await fetch(`${bridge.url}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  })
  assert.equal(response.status, 200, await response.clone().text())
  return response.json()
}

describe('UI on the real engine', () => {
  test('Agents starts empty, then lists an agent the engine created; Settings names the data folder', async () => {
    const { page, context, errors } = await openPage(browser)
    const at = (screen) => `${ui.url}/?bridge=${encodeURIComponent(bridge.url)}#/${screen}`

    await page.goto(at('agents'))
    // A fresh data folder with no model key starts with first-run setup; skipped, Agents is empty.
    await page.getByRole('heading', { name: 'Welcome to Reverie' }).waitFor()
    await page.getByRole('button', { name: 'Skip setup' }).click()
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor()

    await engineCall('agents.create', { name: 'Researcher', provider: 'anthropic', model: 'claude-sonnet-4-5' })
    await page.reload()
    const list = page.getByRole('list', { name: 'Agents' })
    await list.waitFor()
    assert.match(await list.innerText(), /Researcher\s+claude-sonnet-4-5 · Anthropic/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'engine-agents')

    await page.goto(at('settings'))
    assert.equal(await page.getByTestId('data-folder').innerText(), dataDir)
    assert.equal(await page.getByTestId('engine-transport').innerText(), `The engine bridge at ${bridge.url}`)
    assert.deepEqual(errors, [])
    await context.close()
  })
})
