// The session timeline's speed on a 50,000-event session with subagent
// threads: seeds a real data folder (engine example `seed_timeline`), opens
// the session through `reverie serve` in Debian's chromium, and PRINTS
//   - time to first paint of the timeline (target < 300 ms), opening it from
//     the session list (in-app navigation, median of 5) and on a cold load
//     in a new browser context (median of 5; the first load of the browser
//     itself is printed apart, as it also starts the renderer);
//   - scroll frame time p95 while scrolling through it (target < 16 ms),
//     from requestAnimationFrame deltas with the frame-rate cap off, so a
//     delta is the real cost of a frame and not the 60 Hz vsync.
// It prints figures; it never asserts a time.
//
// Needs: cargo build -p reverie-cli && cargo build -p reverie-engine --example seed_timeline
//        (cd ui && npm run build). Set EVENTS / SUBAGENTS to change the size.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { repoRoot, serveUi, signInUrl, startBridge } from '../ui-e2e/harness.mjs'

const EVENTS = Number(process.env.EVENTS ?? 50000)
const SUBAGENTS = Number(process.env.SUBAGENTS ?? 4)
const profile = process.env.PROFILE ?? 'debug'
const reverie = process.env.REVERIE_BIN ?? path.join(repoRoot, `target/${profile}/reverie`)
const seeder = process.env.SEED_BIN ?? path.join(repoRoot, `target/${profile}/examples/seed_timeline`)
for (const [what, file, how] of [
  ['reverie', reverie, 'cargo build -p reverie-cli'],
  ['seed_timeline', seeder, 'cargo build -p reverie-engine --example seed_timeline'],
  ['the built UI', path.join(repoRoot, 'ui/dist/index.html'), 'cd ui && npm run build'],
]) {
  if (!existsSync(file)) {
    console.error(`No ${what} at ${file}: run \`${how}\` first.`)
    process.exit(1)
  }
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const ms = (n) => `${n.toFixed(1)} ms`

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'reverie-ui-perf-'))
let bridge, ui, browser
try {
  const seedStart = performance.now()
  const seeded = JSON.parse(execFileSync(seeder, [dataDir, String(EVENTS), String(SUBAGENTS)], { encoding: 'utf8' }))
  console.log(
    `seeded ${seeded.events} events in ${seeded.threads} threads (${seeded.threads - 1} subagents) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s [${profile} build]`,
  )
  ui = await serveUi()
  bridge = await startBridge({ dataDir, env: { REVERIE_BIN: reverie }, uiOrigin: ui.url })
  // The engine's side of opening the timeline, over the bridge (median of 5).
  const timeCall = async (method, params) => {
    const times = []
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      const res = await fetch(`${bridge.url}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bridge.headers },
        body: JSON.stringify(params),
      })
      await res.json()
      times.push(performance.now() - t0)
    }
    return pct(times, 50)
  }
  const id = seeded.session_id
  const engine = {
    get: await timeCall('sessions.get', { id }),
    first: await timeCall('sessions.page', { id, offset: 0, limit: 200 }),
    middle: await timeCall('sessions.page', { id, offset: Math.floor(EVENTS / 2), limit: 200 }),
    marks: await timeCall('sessions.marks', { id }),
  }
  // Two browsers: first paints are timed with the frame rate as it normally
  // is; scrolling with it uncapped, so a rAF delta is the frame's real cost.
  // (Uncapped frames keep the renderer busy and would slow the first paint
  // on a 2-core machine, so the two do not share one browser.)
  const launch = (uncapped) =>
    chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-dev-shm-usage',
        ...(uncapped ? ['--disable-frame-rate-limit', '--disable-gpu-vsync'] : []),
      ],
    })
  browser = await launch(false)
  // Records when the first timeline row is on screen: the first animation
  // frame after a row entered the DOM.
  const watchRows = () => {
    window.__firstRowAt = undefined
    window.__watchRows = () => {
      window.__firstRowAt = undefined
      const seen = () => {
        if (document.querySelector('[data-timeline-row]')) {
          observer.disconnect()
          requestAnimationFrame(() => (window.__firstRowAt = performance.now()))
          return true
        }
        return false
      }
      const observer = new MutationObserver(seen)
      if (!seen()) observer.observe(document, { childList: true, subtree: true })
    }
    document.addEventListener('DOMContentLoaded', () => window.__watchRows())
  }
  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await page.addInitScript(watchRows)
    return { context, page }
  }
  const base = `${ui.url}/?bridge=${encodeURIComponent(bridge.url)}`

  // Cold load: navigation start to the first painted row, in a fresh browser
  // context each time (no cached code, a new page). The very first load also
  // pays for starting the browser's renderer, so it is reported apart.
  const colds = []
  let coldParts
  for (let i = 0; i < 6; i++) {
    const { context, page } = await newPage()
    await page.goto(signInUrl(bridge, `${base}#/sessions/${seeded.session_id}`))
    await page.waitForFunction(() => window.__firstRowAt !== undefined, null, { timeout: 30000 })
    colds.push(await page.evaluate(() => window.__firstRowAt))
    // Where a cold load's time goes: the document, the scripts, the engine.
    if (i === 1) {
      coldParts = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0]
        const calls = performance
          .getEntriesByType('resource')
          .filter((r) => r.name.includes('/api/'))
          .map((r) => `${r.name.split('/api/')[1]} ${Math.round(r.startTime)}→${Math.round(r.responseEnd)}`)
        const scripts = performance
          .getEntriesByType('resource')
          .filter((r) => r.name.endsWith('.js'))
          .map((r) => `${r.name.split('/').pop().replace(/-[\w-]{8}\.js$/, '')} →${Math.round(r.responseEnd)}`)
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime
        return `document ${Math.round(nav.responseEnd)} ms, scripts: ${scripts.join(', ')}, DOMContentLoaded ${Math.round(nav.domContentLoadedEventEnd)} ms, first contentful paint ${Math.round(fcp ?? NaN)} ms, engine calls: ${calls.join(', ')}`
      })
    }
    await context.close()
  }
  const [firstEver, ...cold] = colds

  const { context, page } = await newPage()
  // From the session list: click to first painted row.
  const opens = []
  for (let i = 0; i < 5; i++) {
    await page.goto(signInUrl(bridge, `${base}#/sessions`))
    const link = page.locator(`a[href$="/sessions/${seeded.session_id}"]`)
    await link.waitFor()
    await page.evaluate(() => {
      window.__watchRows()
      window.__clickAt = performance.now()
    })
    await link.click()
    await page.waitForFunction(() => window.__firstRowAt !== undefined, null, { timeout: 30000 })
    opens.push(await page.evaluate(() => window.__firstRowAt - window.__clickAt))
  }
  const total = await page.getByTestId('timeline').getAttribute('data-total')
  await context.close()
  await browser.close()

  // Scrolling, in the uncapped browser.
  browser = await launch(true)
  const { page: scrollPage, context: scrollContext } = await newPage()
  await scrollPage.goto(signInUrl(bridge, `${base}#/sessions/${seeded.session_id}`))
  await scrollPage.waitForFunction(() => window.__firstRowAt !== undefined, null, { timeout: 30000 })

  // Baseline: the same page, not scrolling, on this machine right now.
  const idle = await scrollPage.evaluate(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(r))
    const out = []
    let last = await frame()
    for (let i = 0; i < 120; i++) {
      const now = await frame()
      out.push(now - last)
      last = now
    }
    return out.slice(5)
  })
  // Main-thread time while scrolling, from the browser's own counters: the
  // frame cost without the 60 Hz rounding of rAF deltas.
  const cdp = await scrollContext.newCDPSession(scrollPage)
  await cdp.send('Performance.enable')
  const metrics = async () =>
    Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
  const before = await metrics()
  // Scroll through: 200 px per frame (a fast flick) for 600 frames,
  // recording every frame's delta.
  const FRAMES = 600
  const scroll = await scrollPage.evaluate(async (frames) => {
    const el = document.querySelector('.tl-scroller')
    const frame = () => new Promise((r) => requestAnimationFrame(r))
    const deltas = []
    let blank = 0
    let last = await frame()
    for (let i = 0; i < frames; i++) {
      el.scrollTop += 200
      const now = await frame()
      deltas.push(now - last)
      last = now
      if (el.querySelector('.tl-placeholder')) blank++
    }
    return { deltas: deltas.slice(5), blank, height: el.scrollHeight }
  }, FRAMES)
  const afterScroll = await metrics()
  const perFrame = (name) => ((afterScroll[name] - before[name]) * 1000) / FRAMES
  // A few long jumps (dragging the scrollbar): time to the next frame.
  const jumps = await scrollPage.evaluate(async () => {
    const el = document.querySelector('.tl-scroller')
    const frame = () => new Promise((r) => requestAnimationFrame(r))
    const out = []
    for (const at of [0.5, 0.9, 0.1, 0.75, 0.25]) {
      await frame()
      const t0 = performance.now()
      el.scrollTop = el.scrollHeight * at
      await frame()
      // The next frame's callback runs after the jump's render.
      out.push(performance.now() - t0)
    }
    return out
  })
  await scrollContext.close()

  console.log(`timeline of ${Number(total).toLocaleString('en')} events, ${scroll.height.toLocaleString('en')} px tall`)
  console.log(
    `engine over the bridge: sessions.get ${ms(engine.get)}, first page ${ms(engine.first)}, page at ${Math.floor(EVENTS / 2).toLocaleString('en')} ${ms(engine.middle)}, marks ${ms(engine.marks)} (marks come after the first paint)`,
  )
  console.log(`time to first paint, from the session list: median ${ms(pct(opens, 50))}, worst ${ms(Math.max(...opens))} of ${opens.length}  (target < 300 ms)`)
  console.log(
    `time to first paint, cold load of /sessions/:id: median ${ms(pct(cold, 50))}, worst ${ms(Math.max(...cold))} of ${cold.length}  (target < 300 ms; includes loading the app)`,
  )
  console.log(`  the browser's very first load (also starts its renderer): ${ms(firstEver)}`)
  console.log(`  cold load, where the time goes: ${coldParts}`)
  console.log(`scroll frame time: p50 ${ms(pct(scroll.deltas, 50))}, p95 ${ms(pct(scroll.deltas, 95))}, max ${ms(Math.max(...scroll.deltas))} over ${scroll.deltas.length} frames  (target p95 < 16 ms)`)
  console.log(
    `main-thread work per frame while scrolling (CDP): ${ms(perFrame('TaskDuration'))} (script ${ms(perFrame('ScriptDuration'))}, layout ${ms(perFrame('LayoutDuration'))}, style ${ms(perFrame('RecalcStyleDuration'))})  (target < 16 ms)`,
  )
  console.log(`baseline, same page not scrolling: p50 ${ms(pct(idle, 50))}, p95 ${ms(pct(idle, 95))} (what this machine gives any frame right now)`)
  console.log(`frames showing rows still loading: ${scroll.blank} of ${FRAMES} (fast scroll at 200 px/frame)`)
  console.log(`scrollbar jumps, time to the next frame: p95 ${ms(pct(jumps, 95))}  (target < 16 ms)`)
} finally {
  await browser?.close()
  await ui?.stop()
  await bridge?.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
