// Times the UI's heavy screens in the real app window with WebKit's
// JavaScript JIT on (JSC_useJIT=true) and off (JSC_useJIT=false), in the
// same run, and prints the median per screen and mode. It asserts nothing
// about time (a shared machine is noisy); it fails only if the data cannot
// be prepared, if a screen never appears, or if the web process did not get
// the JIT setting asked for.
// The data, prepared once before the rounds into a template data folder:
// real graded runs for the pass-rate chart. The fake model server
// (tests/fake-model-server) answers both the agent and the grader; the CLI
// (`reverie run --rubric`) runs GRADED_RUNS tasks of a "support-agent"
// under two rubrics, some passing, some not (all on today: outcomes carry
// the time they ran, so the chart has one point per rubric).
// Each round starts the app afresh per mode on a fresh copy of that folder
// with a fresh WebKit profile, skips first-run setup if offered, loads the
// sample data (demo.load) and writes a large Markdown document (~2,000
// lines, just under the engine's 100,000-byte cap) into the sample agent's
// memory store, all through the engine API in the page, before timing.
// Every time is taken inside the page: from setting the address (or the
// click, or the scroll) to the content being in the DOM, plus the frame that
// paints it. Each screen is timed twice per app start: "first" (its code and
// data cold) and "again" (a JIT, when on, has warmed up). The scroll to the
// document's end scrolls whatever holds its overflow: CodeMirror's own
// scroller, or, when that does not scroll (its styles missing), the box that
// clips it, with a note saying so under the table.
// Run under a display, a session bus and an unlocked keyring (screens.sh does).
// Usage: cd tests && node app/screens.mjs PATH_TO_APP_BINARY
//   SCREENS_ROUNDS=N  rounds of both modes (default 3)
//   SCREENS_CLI, FAKE_MODEL_SERVER_BIN  the `reverie` CLI and the fake model
//   server (default: target/release or target/debug of this checkout)
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { By } from 'selenium-webdriver'
import { startApp as startUnderDriver } from './tauri-driver.mjs'

const [application] = process.argv.slice(2)
if (!application) {
  console.error('usage: cd tests && node app/screens.mjs PATH_TO_APP_BINARY')
  process.exit(2)
}
// Without one the app never opens and WebDriver waits for it forever.
if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error('screens: no display; run tests/app/screens.sh, which provides one')
  process.exit(2)
}
const ROUNDS = Number(process.env.SCREENS_ROUNDS ?? 3)
const TIMEOUT_MS = 30000
const MODES = [
  { name: 'JIT on', jit: 'true' },
  { name: 'JIT off', jit: 'false' },
]
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const built = (name) =>
  ['release', 'debug'].map((profile) => path.join(repoRoot, 'target', profile, name)).find((p) => existsSync(p))
const cliBin = process.env.SCREENS_CLI ?? built('reverie')
const fakeBin = process.env.FAKE_MODEL_SERVER_BIN ?? built('fake-model-server')
const GRADED_RUNS = 32

/** The processes below `root` with their command names, from /proc. */
function descendants(root) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The name may hold spaces and parentheses; the fields after it do not.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!children.has(ppid)) children.set(ppid, [])
      children.get(ppid).push(Number(entry))
    } catch {
      // Gone while we looked.
    }
  }
  const found = []
  const walk = (pid) => {
    for (const child of children.get(pid) ?? []) {
      found.push({ pid: child, name: readFileSync(`/proc/${child}/comm`, 'utf8').trim() })
      walk(child)
    }
  }
  walk(root)
  return found
}

/** JSC_useJIT as the web process that runs the page sees it. */
function webProcessJit(driverPid) {
  const web = descendants(driverPid).filter((p) => p.name.startsWith('WebKitWebProces'))
  if (web.length === 0) throw new Error('no WebKitWebProcess under tauri-driver')
  return web.map((p) => {
    const env = readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0')
    return env.find((v) => v.startsWith('JSC_useJIT='))?.slice('JSC_useJIT='.length) ?? '(unset)'
  })
}

// Runs `act`, then resolves with the ms until `ready` holds and one frame
// more has been painted. Both are function bodies run in the page, spliced
// into the script (the page's CSP forbids eval, but WebDriver's own scripts
// run). A MutationObserver catches the change at once; a frame loop catches
// what no mutation announces. After `ready`, a rAF callback runs before that
// frame paints, and a message posted from it arrives after the paint.
const measureScript = (act, ready) => `
const [timeoutMs, done] = arguments
const isReady = () => { ${ready} }
let finished = false
const check = () => {
  if (finished) return
  let ok = false
  try { ok = isReady() } catch {}
  if (ok) {
    finished = true
    observer.disconnect()
    requestAnimationFrame(() => {
      const channel = new MessageChannel()
      channel.port1.onmessage = () => done({ ms: performance.now() - start })
      channel.port2.postMessage(0)
    })
  } else if (performance.now() - start > timeoutMs) {
    finished = true
    observer.disconnect()
    done({ timeout: true, page: document.querySelector('main')?.innerText.slice(0, 300) })
  } else if (!pending) {
    pending = true
    requestAnimationFrame(() => { pending = false; check() })
  }
}
let pending = false
const observer = new MutationObserver(check)
observer.observe(document, { childList: true, subtree: true, attributes: true, characterData: true })
const start = performance.now()
try { (() => { ${act} })() } catch (e) { finished = true; observer.disconnect(); done({ error: String(e) }); return }
check()
`

/** An engine call from inside the page, as the UI makes it. */
const CALL = `
const [method, params, done] = arguments
window.__TAURI_INTERNALS__.invoke('api_call', { method, params })
  .then((value) => done({ value }), (error) => done({ error: JSON.stringify(error) }))
`

// In-page snippets the steps share.
const js = JSON.stringify
const go = (hash) => `location.hash = ${js(hash)}`
const click = (text, within = 'main') =>
  `[...document.querySelectorAll(${js(`${within} button`)})].find((b) => b.textContent.trim() === ${js(text)}).click()`
const headingIs = (title) => `return document.querySelector('main h1')?.textContent === ${js(title)}`

// The graded runs. Both rubrics put their judged criterion first, so one
// grader script serves both: it passes an answer that names its source.
const GRADER = 'strict, fair grader' // in the grader's system prompt (outcome/grader.rs)
const CITE = 'cite the policy' // in a task: the agent's answer names its source
const RUBRICS = [
  {
    schema: 'reverie.rubric/1',
    name: 'cites-source',
    description: 'Answers name the policy they rest on.',
    threshold: 0.6,
    max_iterations: 2,
    criteria: [
      { name: 'Cites its source', weight: 2, required: true, kind: { type: 'judged', description: 'Names the policy section the answer rests on.' } },
      { name: 'Gives a figure', weight: 1, required: false, kind: { type: 'regex', pattern: '\\d', must_match: true } },
    ],
  },
  {
    schema: 'reverie.rubric/1',
    name: 'plain-answer',
    description: 'Short answers a traveller can act on.',
    threshold: 0.5,
    max_iterations: 2,
    criteria: [
      { name: 'Plain words', weight: 1, required: false, kind: { type: 'judged', description: 'Says what happens next without jargon.' } },
      { name: 'Gives a figure', weight: 1, required: true, kind: { type: 'regex', pattern: '\\d', must_match: true } },
    ],
  },
]
const verdict = (passed) => ({
  content: [
    {
      type: 'tool_use',
      id: 'toolu_grade',
      name: 'record_verdicts',
      input: {
        applies: true,
        explanation: passed ? 'Names the policy section.' : 'Does not say where this comes from.',
        verdicts: [{ criterion_index: 0, passed, score: passed ? 1 : 0, evidence: passed ? 'Source:' : '', gap: passed ? null : 'Name the policy section.' }],
      },
    },
  ],
})
const FAKE_SCRIPT = {
  rules: [
    { when: { system_contains: GRADER, last_user_contains: 'Source:' }, reply: verdict(true) },
    { when: { system_contains: GRADER }, reply: verdict(false) },
    { when: { last_user_contains: CITE }, reply: { text: 'A refund reaches the card in 7 business days. Source: refund policy, section 4.2.' } },
  ],
  // A task without the phrase, and every retry: no source, no figure.
  fallback: { text: 'The refund should reach you in about a week.' },
}
const QUESTIONS = [
  'How long does a refund to a credit card take',
  'Can I change the name on a booking',
  'What does a second checked bag cost on a basic economy fare',
  'May I cancel a flight booked yesterday for free',
  'What compensation applies to a five-hour delay',
  'Can a gift card pay for an upgrade',
  'How many pieces of luggage may a gold member check',
  'What happens to my return flight if I miss the first leg',
]

/** Runs the CLI on the template folder; returns its exit status and output. */
function cli(dataDir, env, args) {
  const run = spawnSync(cliBin, args, { env: { ...process.env, ...env, REVERIE_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30000 })
  if (run.error) throw new Error(`reverie ${args.join(' ')}: ${run.error.message}`)
  return run
}

function mustCli(dataDir, env, args) {
  const run = cli(dataDir, env, args)
  if (run.status !== 0) throw new Error(`reverie ${args.join(' ')} exited with ${run.status}: ${run.stderr.trim()}`)
  return run.stdout
}

/** The fake model server on a free port, loaded with `script`; resolves once it listens. */
async function startFake(script, dir) {
  const scriptFile = path.join(dir, 'fake-script.json')
  writeFileSync(scriptFile, JSON.stringify(script))
  const child = spawn(fakeBin, ['--script', scriptFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the fake model server did not start within 10 s: ${err.trim()}`)), 10000)
    child.stdout.on('data', (d) => {
      out += d
      const found = out.match(/listening on (http:\/\/\S+)/)
      if (found) {
        clearTimeout(timer)
        resolve(found[1])
      }
    })
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(new Error(`cannot start the fake model server ${fakeBin}: ${e.message}`))
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the fake model server exited with ${code}: ${err.trim()}`))
    })
  }).catch((error) => {
    if (child.exitCode === null) child.kill()
    throw error
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill()
    await exited
  }
  return { url, stop }
}

/**
 * A data folder with GRADED_RUNS graded runs of "support-agent" made by
 * the CLI against the fake model server. Returns the folder and what the
 * runs did; throws with the reason if anything went otherwise.
 */
async function prepareTemplate() {
  for (const [what, bin, build] of [
    ['reverie CLI', cliBin, 'cargo build --release -p reverie-cli'],
    ['fake model server', fakeBin, 'cargo build -p reverie-fake-model'],
  ]) {
    if (!bin || !existsSync(bin)) throw new Error(`no ${what} (${bin ?? 'not under target/'}): ${build}`)
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reverie-screens-template-'))
  const dataDir = path.join(dir, 'data')
  const started = performance.now()
  let fake
  try {
    fake = await startFake(FAKE_SCRIPT, dir)
    const env = { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-ant-test-abcd' }
    mustCli(dataDir, env, ['agent', 'create', 'support-agent', '--model', 'claude-sonnet-4-5', '--tools', 'memory',
      '--system', 'You answer travellers\' questions about their bookings, briefly.'])
    for (const rubric of RUBRICS) {
      const file = path.join(dir, `${rubric.name}.json`)
      writeFileSync(file, JSON.stringify(rubric, null, 2))
      mustCli(dataDir, env, ['rubric', 'import', file])
    }
    const results = { satisfied: 0, failed: 0, attempts: 0 }
    for (let i = 0; i < GRADED_RUNS; i++) {
      // Three in five cite the policy and pass at once; the others fail
      // after one attempt or two.
      const cites = [0, 2, 3].includes(i % 5)
      const attempts = cites || i % 3 ? 1 : 2
      const task = `${QUESTIONS[i % QUESTIONS.length]}? (case ${i + 1}${cites ? `; ${CITE}` : ''})`
      const rubric = RUBRICS[i % RUBRICS.length].name
      const run = cli(dataDir, env, ['run', '--agent', 'support-agent', '--rubric', rubric, '--max-iterations', String(attempts), task])
      if (run.status === 0 && cites) results.satisfied++
      else if (run.status === 1 && !cites && run.stderr.includes('did not satisfy the rubric')) results.failed++
      else {
        throw new Error(`graded run ${i + 1} (${js(task)}, rubric ${rubric}) ended with exit ${run.status}, ` +
          `expected ${cites ? 'a pass' : 'a failed grade'}: ${(run.stderr || run.stdout).trim().slice(0, 600)}`)
      }
      results.attempts += attempts
    }
    return { dir, dataDir, results, ms: performance.now() - started }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`preparing the graded runs: ${error.message}`)
  } finally {
    await fake?.stop()
  }
}

/**
 * Working notes an airline agent might keep: ~2,000 lines of Markdown
 * (headings, lists, tables, quotes, code), the same every run, under the
 * engine's 100,000-byte limit per document. Its first and last lines are
 * unique, so the editor can be seen to show each.
 */
function memoryNotes() {
  let seed = 20240611
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const topics = ['Refunds', 'Name changes', 'Checked baggage', 'Cancellations', 'Delays and compensation', 'Upgrades', 'Missed connections', 'Pets in the cabin', 'Travel insurance', 'Gift cards and vouchers']
  const tiers = ['regular', 'silver', 'gold']
  const cabins = ['basic economy', 'economy', 'business']
  const airports = ['JFK', 'SFO', 'ORD', 'LAX', 'SEA', 'BOS', 'ATL', 'DEN', 'MIA', 'PHX']
  const lessons = [
    'Confirm the reservation number before quoting any fee.',
    'Read the fare rules out loud; people rarely know their cabin.',
    'Never promise a refund before checking the payment method.',
    'Offer the certificate only after the user asks for compensation.',
    'A basic economy fare cannot be changed, only cancelled within 24 hours.',
    'Gold members get the fee waived; check the tier in the profile first.',
    'Ask once whether the user wants travel insurance, then drop it.',
    'Transfer to a human when the request is outside the policy.',
  ]
  const details = [
    'the user had the reservation number ready',
    'the payment was split between a gift card and a credit card',
    'the user first gave the wrong last name',
    'one passenger was an infant on a lap',
    'the flight had already departed',
    'the user asked twice for a supervisor',
    'the certificate from last month was still unused',
    'the booking was made through a travel agent',
  ]
  const lines = [
    '# Airline support: what I have learned',
    '',
    'Working notes from bookings, changes, cancellations and baggage, by topic; the newest cases come last in each.',
    '',
  ]
  let bytes = lines.reduce((n, l) => n + l.length + 1, 0)
  const add = (...more) => {
    lines.push(...more)
    bytes += more.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)
  }
  let cases = 0
  while (lines.length < 1985 && bytes < 96500) {
    const topic = topics[cases % topics.length]
    if (cases % 12 === 0) add(`## ${topic} (part ${Math.floor(cases / topics.length) + 1})`, '', `> ${pick(lessons)}`, '')
    cases++
    const from = pick(airports)
    const to = pick(airports.filter((a) => a !== from))
    const day = 1 + Math.floor(rand() * 28)
    add(`### Case ${cases}: ${topic.toLowerCase()}, ${from} to ${to}`, '')
    add(`- When: 2024-05-${String(day).padStart(2, '0')}, a ${pick(tiers)} member travelling ${pick(cabins)} with ${1 + Math.floor(rand() * 4)} passengers`)
    add(`- Asked: ${pick(['to change', 'to cancel', 'about', 'for a refund of', 'to upgrade'])} flight HAT${100 + Math.floor(rand() * 800)}; ${pick(details)}`)
    add(`- Did: ${pick(lessons)} Context: ${pick(details)}.`)
    add(`- Outcome: ${pick(['resolved', 'resolved after a transfer', 'user left', 'refund issued', 'fee waived'])}, in ${2 + Math.floor(rand() * 20)} turns, ${pick(['no follow-up needed', 'user thanked me', 'user will call back', 'case closed'])}`)
    if (cases % 4 === 0) {
      add('', '| Item | Fee | Waived for |', '| --- | --- | --- |')
      add(`| First bag | $${Math.floor(rand() * 4) * 10 + 30} | gold |`, `| Second bag | $${Math.floor(rand() * 4) * 10 + 50} | gold, silver |`)
    }
    if (cases % 7 === 0) add('', '```json', `{ "reservation": "R${1000 + cases}", "action": "${pick(['cancel', 'update', 'refund'])}", "amount": ${Math.floor(rand() * 900)} }`, '```')
    if (cases % 5 === 0) add('', `**Next time:** ${pick(lessons)} *Checked against the policy.*`)
    add('')
  }
  add(`End of the notes: ${cases} cases over ${topics.length} topics.`)
  return lines.join('\n')
}

async function startApp(mode, template) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'reverie-screens-'))
  // A copy of the template data folder, so every start sees the same data.
  // XDG_DATA_HOME too: WebKit keeps the page's localStorage there (the
  // first-run flag among it). The keyring daemon, already running, keeps
  // its files where it started and is reached over the session bus.
  const env = {
    ...process.env,
    REVERIE_DATA_DIR: path.join(scratch, 'data'),
    XDG_DATA_HOME: path.join(scratch, 'share'),
    XDG_CACHE_HOME: path.join(scratch, 'cache'),
    XDG_CONFIG_HOME: path.join(scratch, 'config'),
    JSC_useJIT: mode.jit,
  }
  // The app reaches no model: the fake server served only the template's runs.
  delete env.ANTHROPIC_BASE_URL
  delete env.ANTHROPIC_API_KEY
  cpSync(template, env.REVERIE_DATA_DIR, { recursive: true })
  const app = { scratch, tauriDriver: undefined, driver: undefined }
  try {
    Object.assign(app, await startUnderDriver(application, { env, stdio: ['ignore', 'ignore', 'inherit'] }))
  } catch (error) {
    await stopApp(app)
    throw error
  }
  return app
}

async function stopApp({ driver, tauriDriver, scratch }) {
  await driver?.quit().catch(() => {})
  // None, or no pid: it never started, so there is no exit to wait for.
  if (tauriDriver?.pid !== undefined && tauriDriver.exitCode === null) {
    const exited = new Promise((resolve) => tauriDriver.once('exit', resolve))
    tauriDriver.kill()
    await exited
  }
  rmSync(scratch, { recursive: true, force: true })
}

async function call(driver, method, params = {}) {
  const answer = await driver.executeAsyncScript(CALL, method, params)
  if (answer.error) throw new Error(`${method} failed: ${answer.error}`)
  return answer.value
}

/** Runs `act` in the page and returns the ms until `ready`; throws after 30 s. */
async function measure(driver, what, act, ready) {
  await driver.manage().setTimeouts({ script: TIMEOUT_MS + 5000 })
  const answer = await driver.executeAsyncScript(measureScript(act, ready), TIMEOUT_MS)
  if (answer.error) throw new Error(`${what}: the step failed in the page: ${answer.error}`)
  if (answer.timeout) {
    throw new Error(`${what} did not appear within ${TIMEOUT_MS / 1000} s; the page shows: ${js(answer.page ?? '')}`)
  }
  return answer.ms
}

/** A light screen between measurements, and a moment for the engine to go quiet. */
async function rest(driver) {
  await measure(driver, 'Settings', go('#/settings'), `${headingIs('Settings')} && !!document.querySelector('[data-testid="data-folder"]')?.textContent`)
  await driver.sleep(300)
}

/** What the sample data holds, found through the engine as the UI would ask. */
async function discover(driver) {
  const sessions = await call(driver, 'sessions.overview', { limit: 500 })
  const details = await Promise.all(sessions.map((s) => call(driver, 'sessions.get', { id: s.id })))
  const biggest = details.reduce((a, b) => (b.event_count > a.event_count ? b : a), details[0])
  const agents = await call(driver, 'agents.list')
  const stores = await call(driver, 'memory.stores')
  let doc
  for (const store of stores) {
    for (const d of await call(driver, 'memory.list', { store: store.name })) {
      if (!doc || d.size > doc.size) doc = { ...d, store: store.name }
    }
  }
  if (doc) {
    const read = await call(driver, 'memory.read', { store: doc.store, path: doc.path })
    const text = read.content ?? ''
    // Lines CodeMirror shows as they are (it puts each line in its own
    // element, and only those near the viewport).
    const lines = text.split('\n').filter((line) => line.trim().length > 8)
    doc.probe = lines[0]?.trim().slice(0, 40) ?? ''
    doc.lastProbe = lines.at(-1)?.trim().slice(0, 40) ?? ''
    doc.lines = text.split('\n').length
  }
  const rubrics = await call(driver, 'rubrics.list')
  const starters = await call(driver, 'rubrics.starters')
  const dreams = await call(driver, 'dreams.list', {})
  const series = await call(driver, 'outcomes.series', {})
  return {
    sessions: sessions.length,
    agents: agents.map((a) => a.name),
    timeline: biggest && { id: biggest.session.id, events: biggest.event_count },
    stores: stores.map((s) => `${s.name} (${s.document_count} documents)`),
    doc,
    rubrics,
    starters,
    dreams,
    chartPoints: series.series.reduce((n, s) => n + s.points.length, 0),
    // One chart per agent and rubric with points; each point a day's runs.
    chartSeries: series.series.filter((s) => s.points.length > 0).length,
    gradedRuns: series.series.flatMap((s) => s.points).reduce((n, p) => n + p.runs, 0),
    gradedPassed: series.series.flatMap((s) => s.points).reduce((n, p) => n + p.satisfied, 0),
  }
}

/**
 * The screens, in the order timed. Each returns its timed step, or a
 * sentence saying why the sample data cannot show it.
 */
function screens(data) {
  // A card per criterion. Not the engine's check of the whole: it waits a
  // fixed 200 ms after the last change, which would hide the page's own cost.
  const builderReady = (criteria) =>
    `return document.querySelectorAll('.rubric-editor [data-testid="criterion"]').length === ${criteria}`
  const largest = (list) =>
    list.reduce((best, r) => (r.criteria > (best?.criteria ?? -1) ? r : best), undefined)
  const largestStarter = largest(data.starters.map((s, index) => ({ index, name: s.name, criteria: s.criteria?.length ?? 0 })))
  // The list shows saved rubrics in the engine's order, one Edit button each.
  const largestSaved = largest(
    data.rubrics.map((r, index) => ({ index, name: r.name, criteria: JSON.parse(r.document).criteria?.length ?? 0 })),
  )
  const dream = data.dreams[0]?.dream
  const openDoc = go(`#/memory?store=${encodeURIComponent(data.doc.store)}&doc=${encodeURIComponent(data.doc.path)}`)
  // What holds the document's overflow: the editor's scroller, or the
  // first ancestor that clips or scrolls it.
  const scrollBox = `const scrollBox = () => {
    let box = document.querySelector('.cm-editor .cm-scroller')
    while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 1 && getComputedStyle(box).overflowY !== 'visible')) box = box.parentElement
    return !box || box === document.body ? document.scrollingElement : box
  }`
  const docShows = (probe) => `!!document.querySelector('.cm-editor .cm-content')?.textContent.includes(${js(probe)})`
  return [
    {
      name: `Sessions list (${data.sessions} sessions)`,
      act: go('#/sessions'),
      ready: `return document.querySelectorAll('ul.session-list > li').length === ${data.sessions}`,
    },
    {
      name: `Pass rates over time chart (${data.chartSeries} charts, ${data.gradedRuns} graded runs, from the click)`,
      // The Sessions list first, untimed; the charts and recharts load on the click.
      before: [go('#/sessions'), `return document.querySelectorAll('ul.session-list > li').length === ${data.sessions}`],
      act: click('Pass rates over time'),
      // Every chart drawn: its points are in its SVG (recharts 3 puts the
      // dots in a layer of their own, outside .recharts-line).
      ready: `const charts = document.querySelectorAll('[data-testid="pass-chart"]'); return charts.length === ${data.chartSeries} && [...charts].every((c) => c.querySelector('svg .chart-point'))`,
    },
    {
      name: data.timeline ? `Session timeline (the largest, ${data.timeline.events} events)` : 'Session timeline',
      skip: !data.timeline && 'the sample data has no session',
      act: go(`#/sessions/${data.timeline?.id}`),
      // The first screenful of real rows, none still loading.
      ready: `const t = document.querySelector('[data-testid="timeline"]'); return !!t && t.querySelectorAll('.tl-row:not(.tl-placeholder) .tl-summary').length > 0 && !t.querySelector('.tl-placeholder')`,
    },
    {
      name: `Memory document in the editor (${data.doc.path}, ${data.doc.lines} lines, ${data.doc.size} bytes)`,
      act: openDoc,
      ready: `return ${docShows(data.doc.probe)}`,
    },
    {
      name: `Memory document, scroll to its end (${data.doc.lines} lines)`,
      // Opened, untimed, at its top, where its last line is not drawn yet.
      before: [openDoc, `return ${docShows(data.doc.probe)}`],
      check: `return ${docShows(data.doc.lastProbe)} ? 'the last line is drawn before the scroll' : ''`,
      note: `${scrollBox}
        const box = scrollBox()
        if (box.matches('.cm-scroller')) return ''
        const scroller = getComputedStyle(document.querySelector('.cm-editor .cm-scroller'))
        return 'the editor does not scroll itself (its .cm-scroller has overflow ' + scroller.overflowY + ', display ' + scroller.display +
          ': CodeMirror\\'s own styles are not applied), so the timed scroll is of its clipping ' + box.tagName.toLowerCase() + '.' + [...box.classList].join('.') +
          ' (overflow ' + getComputedStyle(box).overflowY + '), which a mouse wheel cannot scroll'`,
      act: `${scrollBox}
        const box = scrollBox()
        box.scrollTop = box.scrollHeight`,
      ready: `return ${docShows(data.doc.lastProbe)}`,
    },
    data.rubrics.length > 0
      ? {
          name: `Rubric in the builder (saved "${largestSaved.name}", ${largestSaved.criteria} criteria, from the click)`,
          before: [go('#/rubrics'), `return document.querySelectorAll('ul.rubric-list button').length === ${data.rubrics.length}`],
          act: `document.querySelectorAll('ul.rubric-list button')[${largestSaved.index}].click()`,
          ready: builderReady(largestSaved.criteria),
        }
      : {
          // No saved rubric: a built-in starter opens in the same builder.
          name: largestStarter ? `Rubric in the builder (starter "${largestStarter.name}", ${largestStarter.criteria} criteria, from the pick)` : 'Rubric in the builder',
          skip: !largestStarter && 'no saved rubric and no starter',
          before: [go('#/rubrics'), `return (document.querySelector('.starter-pick select')?.options.length ?? 0) > 1`],
          act: `const select = document.querySelector('.starter-pick select')
            Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(select, ${js(String(largestStarter?.index))})
            select.dispatchEvent(new Event('change', { bubbles: true }))`,
          ready: builderReady(largestStarter?.criteria),
        },
    {
      name: `Dreams page (${data.dreams.length} dreams; with the estimate for ${data.agents[0]})`,
      act: go('#/dreams'),
      // The estimate reads the agent's sessions; the review panel lists dreams or says there are none.
      ready: `const e = document.querySelector('[data-testid="dream-estimate"]')?.textContent ?? ''; return e !== '' && !e.startsWith('Working out') && !!document.querySelector('#panel-review .dreams-layout, #panel-review .empty-state')`,
    },
    {
      name: 'Dream review',
      skip: !dream && 'the sample data has no dream',
      act: go(`#/dreams?dream=${dream?.id}`),
      ready: `return !!document.querySelector('.dream-detail [data-testid="dream-state"]')`,
    },
  ]
}

const NOTES_PATH = '/memories/support-notes.md'

/** Loads the sample data and writes the large document into the sample agent's store. */
async function seed(driver) {
  const loaded = await call(driver, 'demo.load')
  const stores = await call(driver, 'memory.stores')
  const store = stores.find((s) => s.name === loaded.agent)
  if (!store) throw new Error(`the sample agent ${loaded.agent} has no memory store of its own (stores: ${stores.map((s) => s.name).join(', ')})`)
  const content = memoryNotes()
  await call(driver, 'memory.write', { store: store.name, path: NOTES_PATH, content, reason: 'screens benchmark: a large document' })
  return { loaded, bytes: Buffer.byteLength(content) }
}

/** What the timed screens need, or an error saying what the preparation left out. */
function checkPrepared(data, template, written) {
  const problems = []
  if (data.doc?.path !== NOTES_PATH || data.doc.size !== written.bytes) {
    problems.push(`the largest memory document is ${data.doc ? `${data.doc.path} (${data.doc.size} bytes)` : 'none'}, not ${NOTES_PATH} (${written.bytes} bytes)`)
  } else if (!data.doc.probe || !data.doc.lastProbe) {
    problems.push(`${NOTES_PATH} reads back without its first or last line`)
  }
  const { satisfied, failed } = template.results
  if (data.chartSeries === 0 || data.gradedRuns !== GRADED_RUNS || data.gradedPassed !== satisfied) {
    problems.push(`outcomes.series has ${data.chartSeries} charts with ${data.gradedRuns} runs, ${data.gradedPassed} passed; ` +
      `the CLI made ${GRADED_RUNS} graded runs, ${satisfied} passed and ${failed} failed`)
  }
  if (problems.length) throw new Error(`the data is not as prepared: ${problems.join('; ')}`)
}

const times = new Map() // "screen\tpass" → { [mode]: ms[] }
const notes = new Set()
let failure
let template
try {
  template = await prepareTemplate()
  const r = template.results
  console.log(`graded runs: ${GRADED_RUNS} by the CLI against the fake model server in ${(template.ms / 1000).toFixed(1)} s ` +
    `(${r.satisfied} passed, ${r.failed} failed, ${r.attempts} attempts)`)
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which mode goes first, so drift in the machine's load hits both.
    const order = round % 2 ? MODES : [...MODES].reverse()
    for (const mode of order) {
      const app = await startApp(mode, template.dataDir)
      const { driver } = app
      try {
        // The template has an agent, so first-run setup is not offered and
        // the app opens on Agents; should it be offered, it is skipped.
        await measure(driver, 'the first screen', '', `${headingIs('Agents')} || (${headingIs('Welcome to Reverie').slice('return '.length)})`)
        if (await driver.executeScript(headingIs('Welcome to Reverie'))) {
          await driver.findElement(By.xpath('//button[normalize-space()="Skip setup"]')).click()
          await measure(driver, 'Agents after Skip setup', '', headingIs('Agents'))
        }
        const seen = webProcessJit(app.tauriDriver.pid)
        if (seen.some((v) => v !== mode.jit)) {
          throw new Error(`${mode.name}: the web process has JSC_useJIT=${seen.join(', ')}, not ${mode.jit}`)
        }
        const written = await seed(driver)
        const data = await discover(driver)
        checkPrepared(data, template, written)
        if (round === 1 && mode === order[0]) {
          console.log(
            `sample data: ${written.loaded.summary?.imported ?? '?'} sessions imported for ${written.loaded.agent}; ` +
              `agents ${data.agents.join(', ')}; ${data.sessions} sessions; ` +
              `largest timeline ${data.timeline?.events} events; memory stores ${data.stores.join(', ') || 'none'}; ` +
              `${data.rubrics.length} saved rubrics, ${data.starters.length} starters; ${data.dreams.length} dreams; ` +
              `${data.chartPoints} chart points in ${data.chartSeries} charts`,
          )
        }
        for (const screen of screens(data)) {
          if (screen.skip) {
            notes.add(`skipped "${screen.name}": ${screen.skip}`)
            continue
          }
          for (const pass of ['first', 'again']) {
            await rest(driver)
            if (screen.before) await measure(driver, `${screen.name} (before timing)`, ...screen.before)
            const wrong = screen.check && (await driver.executeScript(screen.check))
            if (wrong) throw new Error(`${screen.name}: ${wrong}`)
            const note = screen.note && (await driver.executeScript(screen.note))
            if (note) notes.add(`note on "${screen.name}": ${note}`)
            const ms = await measure(driver, screen.name, screen.act, screen.ready)
            const key = `${screen.name}\t${pass}`
            if (!times.has(key)) times.set(key, Object.fromEntries(MODES.map((m) => [m.name, []])))
            times.get(key)[mode.name].push(ms)
          }
        }
        console.log(`round ${round}, ${mode.name}: done`)
      } finally {
        await stopApp(app)
      }
    }
  }
} catch (error) {
  failure = error
} finally {
  if (template) rmSync(template.dir, { recursive: true, force: true })
}
if (failure) {
  console.error(`screens: ${failure.message}`)
  process.exit(1)
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const width = Math.max(...[...times.keys()].map((k) => k.replace('\t', ', ').length))
console.log(`\nmedian ms over ${ROUNDS} rounds (${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}); "first" is the first visit after the app starts, "again" the next`)
console.log(`${'screen'.padEnd(width)}  ${MODES.map((m) => m.name.padStart(8)).join('  ')}  off/on   all JIT on / all JIT off`)
for (const [key, byMode] of times) {
  const [on, off] = MODES.map((m) => median(byMode[m.name]))
  const all = MODES.map((m) => byMode[m.name].map((v) => Math.round(v)).join(' ')).join(' / ')
  console.log(`${key.replace('\t', ', ').padEnd(width)}  ${on.toFixed(0).padStart(8)}  ${off.toFixed(0).padStart(8)}  ${(off / on).toFixed(2).padStart(6)}   ${all}`)
}
for (const note of notes) console.log(note)
