// The app shell in a real browser: it renders, the sidebar works from the
// keyboard, themes follow the OS and the toggle, and axe-core finds no
// serious or critical problems on any screen in either theme.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const SCREENS = ['Agents', 'Sessions', 'Memory', 'Dreams', 'Rubrics', 'Settings']
// The UI alone: no engine behind it.
const { ui: server, browser, stop } = await startStack('shell', { bridge: false })
after(stop)

describe('app shell', () => {
  test('renders the sidebar, the main landmark, and Agents says how to connect an engine', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(server.url)
    await page.waitForURL(/#\/agents$/)
    const nav = page.getByRole('navigation', { name: 'Main' })
    const links = await nav.getByRole('link').allInnerTexts()
    assert.deepEqual(links.map((text) => text.trim()), SCREENS)
    assert.equal(await page.getByRole('main').count(), 1)
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Agents')
    // Served without a bridge, the UI shows the reason instead of any data.
    assert.match(await page.getByRole('alert').innerText(), /Not connected to an engine/)
    assert.equal(await nav.getByRole('link', { name: 'Agents' }).getAttribute('aria-current'), 'page')
    assert.equal(await page.title(), 'Agents · Reverie')
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('the sidebar is keyboard navigable', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(`${server.url}/#/agents`)
    await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor()
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim())

    await page.keyboard.press('Tab')
    assert.equal(await focused(), 'Skip to content')
    await page.keyboard.press('Tab')
    assert.equal(await focused(), 'Agents')
    await page.keyboard.press('ArrowDown')
    assert.equal(await focused(), 'Sessions')
    await page.keyboard.press('Enter')
    await page.waitForURL(/#\/sessions$/)
    // The new screen's heading takes focus (in an effect after the screen
    // renders), so a screen reader announces it.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1')
    assert.equal(await focused(), 'Sessions')

    await page.getByRole('link', { name: 'Sessions' }).focus()
    await page.keyboard.press('End')
    assert.equal(await focused(), 'Settings')
    await page.keyboard.press('ArrowDown')
    assert.equal(await focused(), 'Agents', 'ArrowDown wraps from the last link to the first')
    await page.keyboard.press('ArrowUp')
    assert.equal(await focused(), 'Settings', 'ArrowUp wraps from the first link to the last')
    await page.keyboard.press('Home')
    assert.equal(await focused(), 'Agents')

    // The skip link moves focus to the main content without changing screen.
    await page.keyboard.press('Shift+Tab')
    assert.equal(await focused(), 'Skip to content')
    await page.keyboard.press('Enter')
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main')
    assert.match(page.url(), /#\/sessions$/)
    assert.deepEqual(errors, [])
    await context.close()
  })

  for (const colorScheme of ['light', 'dark']) {
    test(`follows the OS ${colorScheme} theme and every screen passes axe`, async () => {
      const { page, context, errors } = await openPage(browser, { colorScheme })
      await page.goto(`${server.url}/#/agents`)
      await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor()
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      assert.equal(background, colorScheme === 'dark' ? 'rgb(20, 20, 24)' : 'rgb(251, 251, 252)')
      for (const name of SCREENS) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()
        await page.getByRole('heading', { level: 1, name }).waitFor()
        assert.deepEqual(await seriousViolations(page), [], `${name} in ${colorScheme} theme`)
        await screenshot(page, `${name.toLowerCase()}-${colorScheme}`)
      }
      assert.deepEqual(errors, [])
      await context.close()
    })
  }

  test('the theme toggle overrides the OS, survives a reload, and Settings can return to System', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'light' })
    await page.goto(`${server.url}/#/agents`)
    await page.getByRole('button', { name: 'Switch to dark theme' }).click()
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark')
    await page.reload()
    await page.getByRole('button', { name: 'Switch to light theme' }).waitFor()
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark')

    await page.getByRole('link', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: 'System' }).check()
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined)
    await page.getByRole('button', { name: 'Switch to dark theme' }).waitFor()
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('Settings says how the engine is reached, and refuses a bridge on another machine', async () => {
    const { page, context } = await openPage(browser)
    await page.goto(`${server.url}/#/settings`)
    assert.match(await page.getByTestId('engine-transport').innerText(), /^Not connected to an engine/)
    await page.goto(`${server.url}/?bridge=http://example.com:7420#/settings`)
    await page.reload()
    assert.match(await page.getByTestId('engine-transport').innerText(), /is not on this computer/)
    await page.goto(`${server.url}/?bridge=http://127.0.0.1:9#/settings`)
    await page.reload()
    assert.equal(await page.getByTestId('engine-transport').innerText(), 'The engine bridge at http://127.0.0.1:9')
    await context.close()
  })
})
