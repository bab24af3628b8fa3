// First run in the real UI: from an empty data folder, Reverie offers a
// three-step setup. A wrong key is refused with the provider's sentence, the
// right one goes to the system keychain (run inside a D-Bus session with
// gnome-keyring, as scripts/test.sh does), a Researcher is created from its
// template, and the first task's answer streams in from the fake model
// server through `reverie serve`; setup ends on the agent's page. Skipping
// setup lands on Agents and does not come back on its own. Driven with the
// keyboard. Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const KEY = 'sk-ant-onboarding-test-7f3e'
const ANSWER = 'Three things I can do: research, summarise, and remember what you like.'
const { fake, browser, api, at, stop } = await startStack('onboarding', {
  // The fake server accepts only this key, so the wrong one gets a real 401.
  script: { api_key: KEY, fallback: { text: ANSWER, chunk_size: 4, chunk_delay_ms: 15 } },
  // No key in the environment: this is a first run, the key must come from the keychain.
  env: { ANTHROPIC_API_KEY: '', OPENAI_BASE_URL: '', OPENAI_API_KEY: '' },
})
after(async () => {
  await api('keys.delete', { provider: 'anthropic' }).catch(() => {})
  await stop()
})

before(async () => {
  // A key left in this session's keychain by an earlier run would make this not a first run.
  await api('keys.delete', { provider: 'anthropic' })
})

const focusedText = (page) => page.evaluate(() => document.activeElement?.textContent ?? '')

describe('First-run onboarding', () => {
  test('skipping setup lands on Agents and it does not come back on its own (dark)', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('agents'))
    await page.getByRole('heading', { name: 'Welcome to Reverie' }).waitFor()
    assert.match(page.url(), /#\/welcome$/)
    await page.getByRole('heading', { name: 'Step 1 of 3: Connect a model' }).waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'onboarding-step1-dark')
    await page.getByRole('button', { name: 'Skip setup' }).click()
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor()
    assert.match(page.url(), /#\/agents$/)
    // And it can be started again from the empty state.
    await page.getByRole('button', { name: 'Set up step by step' }).click()
    await page.getByRole('heading', { name: 'Welcome to Reverie' }).waitFor()
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('from an empty data folder to a first streamed answer, keyboard only', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('agents'))
    await page.getByRole('heading', { name: 'Step 1 of 3: Connect a model' }).waitFor()
    assert.equal(await page.locator('[aria-current="step"]').innerText(), '1\nConnect a model')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'onboarding-step1')

    // Tab from the top reaches the provider choice first, then the key field.
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'radio')
    assert.ok(await page.getByRole('radio', { name: /Anthropic API key/ }).isChecked())
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'password')

    // A wrong key: stored, tested, refused with the provider's sentence and what to do.
    await page.keyboard.type('sk-ant-wrong-key-0000')
    await page.keyboard.press('Enter')
    const refused = page.getByRole('alert')
    await refused.waitFor({ timeout: 20000 })
    assert.match(await refused.innerText(), /Check the key and paste it again/)
    await page.getByRole('button', { name: 'Continue anyway' }).waitFor()
    await screenshot(page, 'onboarding-step1-wrong-key')

    // The right key: the field empties at once, the page never shows the key.
    const keyField = page.getByRole('textbox', { name: 'Paste your key' })
    await keyField.focus()
    await page.keyboard.type(KEY)
    await page.keyboard.press('Enter')
    await page.getByRole('status').getByText('Connected. Your key is in the system keychain.').waitFor({ timeout: 20000 })
    assert.equal(await keyField.inputValue(), '')
    assert.doesNotMatch(await page.content(), new RegExp(KEY))
    const status = await api('keys.status', { provider: 'anthropic' })
    assert.equal(status.available, true)
    assert.equal(status.source, 'keychain', 'the key went to the system keychain')
    assert.equal(status.hint.slice(-4), KEY.slice(-4))
    // The settings table holds no key.
    assert.equal(await api('settings.get', { key: 'provider.anthropic.api_key' }).catch(() => null), null)

    // Continue: focus lands on step 2's heading.
    await page.keyboard.press('Tab')
    assert.equal(await focusedText(page), 'Continue')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Step 2 of 3: Create your first agent' }).waitFor()
    assert.equal(await focusedText(page), 'Step 2 of 3: Create your first agent')
    assert.match(await page.locator('.onboarding-steps li.done').innerText(), /Connect a model/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'onboarding-step2')

    // Tab into the templates (Researcher is first and chosen), Right arrow to Writer and back.
    await page.keyboard.press('Tab')
    assert.ok(await page.getByRole('radio', { name: /^Researcher/ }).isChecked())
    await page.keyboard.press('ArrowRight')
    assert.ok(await page.getByRole('radio', { name: /^Writer/ }).isChecked())
    assert.equal(await page.getByLabel('Name').inputValue(), 'Writer')
    await page.keyboard.press('ArrowLeft')
    assert.equal(await page.getByLabel('Name').inputValue(), 'Researcher')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')

    // Step 3: the task box has focus; Ctrl+Enter runs; the answer streams in.
    await page.getByRole('heading', { name: 'Step 3 of 3: Give it a first task' }).waitFor()
    await page.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA')
    const agents = await api('agents.list')
    assert.deepEqual(
      agents.map((a) => [a.name, a.provider, a.model]),
      [['Researcher', 'anthropic', 'claude-sonnet-4-5']],
    )
    assert.match(agents[0].system_prompt, /research questions carefully/)
    await page.keyboard.type('What can you do for me? Three bullet points.')
    await page.keyboard.press('Control+Enter')
    await page.waitForFunction(
      (full) => {
        const text = document.querySelector('[data-testid="run-answer"]')?.textContent ?? ''
        return text.length > 0 && text.length < full.length
      },
      ANSWER,
      { polling: 'raf', timeout: 20000 },
    )
    await page.getByTestId('run-status').getByText('Completed').waitFor({ timeout: 20000 })
    assert.equal(await page.getByTestId('run-answer').innerText(), ANSWER)
    const sent = await (await fetch(`${fake.url}/_fake/requests`)).json()
    assert.ok(
      sent.some((r) => JSON.stringify(r).includes('Three bullet points')),
      'the task reached the model with the pasted key',
    )
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'onboarding-step3-answer')

    // Finish: the agent's own page.
    const finish = page.getByRole('button', { name: 'Finish and open Researcher' })
    await finish.focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Researcher' }).waitFor()
    assert.match(page.url(), /#\/agents\/Researcher$/)
    await screenshot(page, 'onboarding-done-agent-page')

    // Setup is done: Agents lists the agent instead of offering setup again.
    await page.goto(at('agents'))
    await page.getByRole('list', { name: 'Agents' }).getByText('Researcher').waitFor()
    // The wrong key came back as HTTP 4xx from the model, which is not a page error.
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })
})
