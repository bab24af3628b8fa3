// The UI against the real engine: `reverie serve` on a fresh data folder,
// the built UI opened with ?bridge=, in Debian's chromium.
// Needs `cargo build -p reverie-cli` (or REVERIE_BIN) and a built ui/dist.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

// No fake model server: nothing here calls a model.
const { dataDir, bridge, browser, api, at, stop } = await startStack('engine', { fake: false })
after(stop)

describe('UI on the real engine', () => {
  test('Agents starts empty, then lists an agent the engine created; Settings names the data folder', async () => {
    const { page, context, errors } = await openPage(browser)

    await page.goto(at('agents'))
    // A fresh data folder with no model key starts with first-run setup; skipped, Agents is empty.
    await page.getByRole('heading', { name: 'Welcome to Reverie' }).waitFor()
    await page.getByRole('button', { name: 'Skip setup' }).click()
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor()

    await api('agents.create', { name: 'Researcher', provider: 'anthropic', model: 'claude-sonnet-4-5' })
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
