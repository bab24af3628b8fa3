// The local attack surface in the real UI (issue 18), against `reverie serve`
// and the system keychain (run inside a D-Bus session with gnome-keyring, as
// scripts/test.sh does): changing the Anthropic API address while a key is
// saved asks first, naming the host the key would go to, and Cancel saves
// nothing; a page from another origin cannot read the bridge even from the
// signed-in browser. Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { ignorable, openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const { browser, api, at, bridge, ui, stop } = await startStack('security', {
  // The key must come from the keychain for the question to arise.
  env: { ANTHROPIC_API_KEY: '' },
})
after(async () => {
  await api('keys.delete', { provider: 'anthropic' }).catch(() => {})
  await stop()
})

describe('The local attack surface', () => {
  test('a new API address is saved only once the person agrees to send the key there', async () => {
    await api('agents.create', { name: 'Scout', provider: 'anthropic', model: 'claude-haiku-4-5' })
    await api('keys.set', { provider: 'anthropic', key: 'sk-ant-security-e2e-0001' })
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('settings'))
    const form = page.getByRole('form', { name: 'Providers and default models' })
    await form.getByLabel('Anthropic API address').fill('http://127.0.0.1:9/v1')
    await form.getByRole('button', { name: 'Save providers and models' }).click()
    const question = page.getByRole('alertdialog')
    await question.waitFor()
    assert.match(await question.innerText(), /Your API key will be sent to http:\/\/127\.0\.0\.1:9\./)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'security-key-host-question')
    await page.keyboard.press('Escape')
    await form.getByText('Nothing saved: the API address stays as it was.').waitFor()
    assert.equal(await api('settings.get', { key: 'provider.anthropic.base_url' }), null)

    await form.getByRole('button', { name: 'Save providers and models' }).click()
    await page.getByRole('button', { name: 'Send my key there' }).click()
    await form.getByText('Providers and default models saved.').waitFor()
    assert.equal(await api('settings.get', { key: 'provider.anthropic.base_url' }), 'http://127.0.0.1:9/v1')
    assert.deepEqual(ignorable(errors), [], 'only the expected 409s')
    await context.close()
  })

  test('a page from another origin cannot read the bridge, even signed in', async () => {
    const { page, context } = await openPage(browser)
    // Signed in: the cookie is in this browser.
    await page.goto(at('agents'))
    await page.getByRole('list', { name: 'Agents' }).waitFor()
    // The same UI server under another name is another origin (and site).
    const foreign = ui.url.replace('127.0.0.1', 'localhost')
    await page.goto(`${foreign}/#/agents`)
    const answer = await page.evaluate(async (bridgeUrl) => {
      try {
        const r = await fetch(`${bridgeUrl}/api/agents.list`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          credentials: 'include',
        })
        return `read ${r.status}: ${await r.text()}`
      } catch (e) {
        return `refused: ${e.message}`
      }
    }, bridge.url)
    assert.match(answer, /^refused/, answer)
    await context.close()
  })
})
