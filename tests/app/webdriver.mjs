// Drives the real app over WebDriver: starts tauri-driver (which starts the
// app and Debian's WebKitWebDriver), then reads the rendered UI. Exits
// non-zero with the reason if anything is missing, including the engine's
// answer to a UI call (the data folder shown in Settings). Run under a display and a
// session bus (tests/app/window.sh does that).
// (No WebDriver screenshot: WebKit can return a frame older than the DOM it
// just reported; window.sh captures the X window instead.)
// Usage: node tests/app/webdriver.mjs PATH_TO_APP_BINARY
import { By } from 'selenium-webdriver'
import { startApp } from './tauri-driver.mjs'

const [application] = process.argv.slice(2)
if (!application) {
  console.error('usage: node tests/app/webdriver.mjs PATH_TO_APP_BINARY')
  process.exit(2)
}
const SCREENS = ['Agents', 'Sessions', 'Memory', 'Dreams', 'Rubrics', 'Settings']
let driver
let tauriDriver
let failure
try {
  ;({ driver, tauriDriver } = await startApp(application))

  // React re-renders while a screen settles, so a node found a moment ago
  // can be replaced ("stale" or "not found"): every step finds its nodes
  // afresh and retries until it holds or the time is up.
  const eventually = (message, step, timeoutMs = 15000) =>
    driver.wait(() => step().catch(() => false), timeoutMs, message)
  const headingIs = (title) => async () => (await driver.findElement(By.css('main h1')).getText()) === title

  // A fresh data folder with no key opens first-run setup in the real
  // window too; skipping it lands on Agents.
  await eventually('first-run setup did not open', headingIs('Welcome to Reverie'), 20000)
  await eventually('no Skip setup button to click', async () => {
    await driver.findElement(By.xpath('//button[normalize-space()="Skip setup"]')).click()
    return true
  })
  await eventually('Skip setup did not open Agents', headingIs('Agents'))
  let labels = []
  await eventually(`the sidebar does not show ${SCREENS.join(', ')}`, async () => {
    const links = await driver.findElements(By.css('nav[aria-label="Main"] a'))
    labels = await Promise.all(links.map((link) => link.getText()))
    return JSON.stringify(labels) === JSON.stringify(SCREENS)
  }).catch((error) => {
    throw new Error(`${error.message}: it shows ${JSON.stringify(labels)}`)
  })
  await eventually('the Settings link did not open Settings', async () => {
    if (!(await headingIs('Settings')())) {
      await driver.findElement(By.xpath('//nav[@aria-label="Main"]//a[normalize-space()="Settings"]')).click()
    }
    return headingIs('Settings')()
  })
  let engine = ''
  await eventually('Settings does not say the UI runs inside the app', async () => {
    engine = await driver.findElement(By.css('[data-testid="engine-transport"]')).getText()
    return engine === 'The Reverie desktop app'
  }).catch((error) => {
    throw new Error(`${error.message}: it says "${engine}"`)
  })
  // The data folder comes from the engine through invoke('api_call'): the
  // whole path from the UI to the store and back.
  let shown = ''
  const expected = process.env.REVERIE_DATA_DIR
  await eventually('Settings shows no data folder from the engine', async () => {
    shown = await driver.findElement(By.css('[data-testid="data-folder"]')).getText()
    return shown !== '' && (!expected || shown === expected)
  }).catch((error) => {
    throw new Error(`${error.message}: it shows "${shown}", expected "${expected ?? 'any folder'}"`)
  })
  // WebKit's own Back and Forward move between screens (state/router.ts
  // keeps the path in the hash and an index in each history entry).
  await driver.navigate().back()
  await eventually('Back from Settings did not return to Agents', headingIs('Agents'))
  await driver.navigate().forward()
  await eventually('Forward did not return to Settings', headingIs('Settings'))
  console.log(`webdriver: sidebar ${labels.join(', ')}; Settings reports "${engine}" with data folder ${shown}; Back and Forward move between screens`)
} catch (error) {
  failure = error
} finally {
  await driver?.quit().catch(() => {})
  tauriDriver?.kill()
}
if (failure) {
  console.error(`webdriver: ${failure.message}`)
  process.exit(1)
}
