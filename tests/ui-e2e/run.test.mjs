// The agent flow in the real UI: create an agent from a template, run a task
// and watch the answer stream in from the fake model server through
// `reverie serve`; then Settings shows where the model key came from.
// Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const ANSWER = 'Hello from the fake model, streamed in small pieces.'
// The engine's key is the default test key, which ends in "abcd" (Settings shows that).
const { bridge, browser, at, stop } = await startStack('run', {
  script: { fallback: { text: ANSWER, chunk_size: 4, chunk_delay_ms: 20 } },
})
after(stop)

describe('Agents: create and run', () => {
  test('a Writer from its template runs a task and the answer streams in', async () => {
    const { page, context, errors } = await openPage(browser)

    await page.goto(at('agents'))
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor()
    await page.getByRole('button', { name: 'New agent' }).click()
    const dialog = page.getByRole('dialog', { name: 'New agent' })
    await dialog.getByLabel('Writer').check()
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'Writer')
    assert.equal(await dialog.getByLabel('Model').inputValue(), 'claude-sonnet-4-5')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agents-new-agent')

    // A name the engine refuses gets its one sentence, and the form stays open.
    await dialog.getByLabel('Name').fill('Essay/writer')
    await dialog.getByRole('button', { name: 'Create agent' }).click()
    const refusal = dialog.getByRole('alert')
    await refusal.waitFor()
    assert.match(await refusal.innerText(), /not a valid agent name: it holds '\/'/)
    await screenshot(page, 'agents-new-agent-refused')

    // Names are for people: spaces and any letters are fine.
    await dialog.getByLabel('Name').fill('Essay writer für Zoë')
    await dialog.getByRole('button', { name: 'Create agent' }).click()
    const list = page.getByRole('list', { name: 'Agents' })
    await list.getByText('Essay writer für Zoë').waitFor()
    assert.equal(await dialog.count(), 0)

    // The engine keeps the template's tools and prompt.
    const agents = await (await fetch(`${bridge.url}/api/agents.list`, { method: 'POST', headers: { 'content-type': 'application/json', ...bridge.headers }, body: '{}' })).json()
    assert.equal(agents.length, 1)
    assert.deepEqual(agents[0].tools, ['memory', 'workspace'])
    assert.match(agents[0].system_prompt, /plain prose/)

    const task = page.getByRole('textbox', { name: 'Task' })
    await task.fill('Say hello.')
    await task.press('Control+Enter')
    // Part of the answer shows while the run is still going: it streams.
    await page.waitForFunction(
      (full) => {
        const status = document.querySelector('[data-testid="run-status"]')?.textContent
        const text = document.querySelector('[data-testid="run-answer"]')?.textContent ?? ''
        return status === 'Running…' && text.length > 0 && text.length < full.length
      },
      ANSWER,
      { polling: 'raf', timeout: 20000 },
    )
    await page.getByRole('button', { name: 'Cancel' }).waitFor()
    await page.getByTestId('run-status').getByText('Completed').waitFor({ timeout: 20000 })
    assert.equal(await page.getByTestId('run-answer').innerText(), ANSWER)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agents-run-finished')

    await page.goto(at('settings'))
    const status = page.getByTestId('key-status-anthropic')
    await status.waitFor()
    assert.match(await status.innerText(), /A key ending in .*abcd.* is set, from an environment variable\./)
    assert.doesNotMatch(await page.content(), /sk-ant-test/)
    const anthropic = page.getByRole('group', { name: 'Anthropic' })
    await anthropic.getByRole('button', { name: 'Test connection' }).click()
    await anthropic.getByRole('status').getByText('Connected.').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'settings-keys')
    // The refused name came back as HTTP 4xx, which chromium logs; nothing else may fail.
    assert.deepEqual(
      errors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    )
    await context.close()
  })

  test('the new screens have no serious accessibility violations in dark mode', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('agents'))
    await page.getByRole('button', { name: 'New agent' }).click()
    await page.getByRole('dialog', { name: 'New agent' }).waitFor()
    await page.getByRole('button', { name: /Run a task with/ }).first().click()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agents-new-and-run-dark')
    // Escape closes the form and gives focus back to "New agent".
    await page.getByRole('dialog', { name: 'New agent' }).getByLabel('Name').focus()
    await page.keyboard.press('Escape')
    assert.equal(await page.getByRole('dialog', { name: 'New agent' }).count(), 0)
    await page.waitForFunction(() => document.activeElement?.textContent === 'New agent')
    await page.goto(at('settings'))
    await page.getByTestId('key-status-anthropic').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'settings-keys-dark')
    assert.deepEqual(errors, [])
    await context.close()
  })
})
