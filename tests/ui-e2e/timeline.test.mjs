// The session timeline in the real UI: a lead agent delegates to two
// subagents through the fake model server (one of them calls a tool that
// does not exist), then the session list and the timeline show the tree in
// lanes; errors can be jumped to; events open; filters by kind and thread
// page through the engine; the OpenTelemetry export holds the agent spans.
// Also a keyboard-only walkthrough. Needs target/debug/reverie,
// target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

let sessionId

const SCRIPT = {
  rules: [
    {
      when: { system_contains: 'You coordinate', last_user_contains: '<result agent' },
      times: 1,
      reply: { text: 'Root cause: the 14:02 deploy (deploys), seen as 500s in the logs (logs).' },
    },
    {
      when: { system_contains: 'You coordinate' },
      times: 1,
      reply: {
        content: [
          {
            type: 'tool_use',
            id: 'toolu_fan',
            name: 'delegate',
            input: { tasks: [{ agent: 'deploys', task: 'Check deploys' }, { agent: 'logs', task: 'Check logs' }] },
          },
        ],
      },
    },
    { when: { system_contains: 'error logs', last_user_contains: 'no tool named' }, reply: { text: 'logs: 500s from 14:03' } },
    {
      when: { system_contains: 'error logs' },
      times: 1,
      reply: { content: [{ type: 'tool_use', id: 'toolu_grep', name: 'grep_logs', input: { query: '500' } }] },
    },
    { when: { system_contains: 'deploy history' }, reply: { text: 'deploys: the 14:02 release' } },
    { when: { system_contains: 'You take your time' }, reply: { text: 'Done, slowly.', first_byte_delay_ms: 2500 } },
  ],
  fallback: { text: 'ok' },
}

const { browser, api, at, runTask, stop } = await startStack('timeline', { script: SCRIPT })
after(stop)

before(async () => {
  const agent = (name, system_prompt) =>
    api('agents.create', { name, provider: 'anthropic', model: 'claude-haiku-4-5', system_prompt, tools: ['workspace'] })
  await agent('lead', 'You coordinate incident reviews.')
  await agent('deploys', 'You study deploy history.')
  await agent('logs', 'You read error logs.')
  await api('agents.roster_add', { lead: 'lead', member: 'deploys' })
  await api('agents.roster_add', { lead: 'lead', member: 'logs' })
  sessionId = await runTask('lead', 'Why did checkout fail last night?')
  const { session, threads } = await api('sessions.get', { id: sessionId })
  assert.equal(session.status, 'completed', JSON.stringify(session))
  assert.equal(threads.length, 3)
})

const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement
    return { text: el?.textContent ?? '', label: el?.getAttribute('aria-label') ?? '', expanded: el?.getAttribute('aria-expanded'), index: el?.dataset?.index }
  })

/** Presses Tab until the focused element's name matches (at most 60 times). */
async function tabTo(page, pattern) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab')
    const f = await focused(page)
    if (pattern.test(f.label) || pattern.test(f.text.trim())) return f
  }
  throw new Error(`Tab never reached ${pattern}`)
}

describe('Session timeline', () => {
  test('the list filters sessions and the timeline shows the subagent lanes, errors, details and exports', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('sessions'))
    const list = page.getByRole('list', { name: 'Sessions' })
    const row = list.getByRole('link', { name: /Why did checkout fail/ })
    await row.waitFor()
    assert.match(await row.innerText(), /lead · 2 subagent threads/)
    // A filter that matches nothing says so; clearing it brings the session back.
    await page.getByLabel('Status').selectOption('failed')
    await page.getByText('No session matches these filters').waitFor()
    await page.getByLabel('Status').selectOption('completed')
    await row.waitFor()
    await page.getByLabel('Outcome').selectOption('ungraded')
    await row.waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'sessions-list')

    await row.click()
    await page.getByRole('heading', { name: 'Why did checkout fail last night?' }).waitFor()
    const timeline = page.getByRole('list', { name: /^Events/ })
    await timeline.getByRole('listitem').first().waitFor()
    const total = Number(await page.getByTestId('timeline').getAttribute('data-total'))
    const { event_count } = await api('sessions.get', { id: sessionId })
    assert.equal(total, event_count)
    // One lane per thread: the lead and its two subagents.
    const threads = page.getByRole('group', { name: 'Threads' })
    for (const name of ['lead', 'deploys', 'logs']) await threads.getByRole('button', { name: new RegExp(name) }).waitFor()
    await timeline.getByText('Subagent', { exact: true }).first().waitFor()
    assert.ok((await timeline.getByText('deploys: the 14:02 release').count()) > 0)

    // Next error lands on the failed tool call of the logs subagent.
    await page.getByRole('button', { name: 'Next error' }).click()
    await page.getByText('Error 1 of 1', { exact: true }).waitFor()
    const f = await focused(page)
    assert.match(f.text, /Tool failed.*grep_logs/)
    await page.keyboard.press('Enter')
    const details = timeline.locator('.tl-details')
    await details.waitFor()
    assert.match(await details.innerText(), /There is no tool named 'grep_logs'/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'timeline-error-open')

    // Kind and thread filters page the engine's view.
    const tool_events = (await api('sessions.page', { id: sessionId, offset: 0, limit: 500, kinds: ['tool_call', 'tool_result'] })).total
    assert.ok(tool_events > 0 && tool_events < total)
    await page.getByRole('button', { name: /^Tools/ }).click()
    // The count shows 0 while the filtered page loads; wait for the engine's number.
    await page.waitForFunction(
      (want) => Number(document.querySelector('[data-testid="timeline"]').dataset.total) === want,
      tool_events,
    )
    await threads.getByRole('button', { name: /logs/ }).click()
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-timeline-row]')]
      return rows.length > 0 && rows.every((r) => /logs/.test(r.textContent))
    })
    await screenshot(page, 'timeline-filtered')
    await page.getByRole('button', { name: 'All threads' }).click()
    await page.getByRole('button', { name: /^Tools/ }).click()

    // Export as OpenTelemetry: three agent spans, the lead's the root.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export OpenTelemetry' }).click(),
    ])
    assert.equal(download.suggestedFilename(), `session-${sessionId}.otel.json`)
    const otel = JSON.parse(readFileSync(await download.path(), 'utf8'))
    const spans = otel.resourceSpans[0].scopeSpans[0].spans
    const op = (s) => s.attributes.find((a) => a.key === 'gen_ai.operation.name')?.value.stringValue
    const agents = spans.filter((s) => op(s) === 'invoke_agent')
    assert.equal(agents.length, 3)
    assert.equal(agents.filter((s) => !s.parentSpanId).length, 1)
    assert.ok(spans.some((s) => op(s) === 'execute_tool' && s.status.code === 2), 'the failed tool call is an error span')
    assert.ok(spans.filter((s) => op(s) === 'chat').length >= 5)
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()])
    const exported = JSON.parse(readFileSync(await json.path(), 'utf8'))
    assert.equal(exported.events.length, total)

    // Back returns to the list as it was filtered.
    await page.goBack()
    await row.waitFor()
    assert.equal(await page.getByLabel('Status').inputValue(), 'completed')
    assert.equal(await page.getByLabel('Outcome').inputValue(), 'ungraded')
    assert.match(page.url(), /#\/sessions\?status=completed&outcome=ungraded$/)
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('keyboard only: open a session, move through events, jump to the error and open it; dark mode', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('sessions'))
    await page.getByRole('list', { name: 'Sessions' }).getByRole('link').first().waitFor()
    await tabTo(page, /Why did checkout fail/)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Why did checkout fail last night?' }).waitFor()
    await page.locator('[data-timeline-row]').first().waitFor()
    // Tab reaches the first event (one row is in the Tab order).
    let f = await tabTo(page, /^\+\d/)
    assert.equal(f.index, '0')
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown')
    f = await focused(page)
    assert.equal(f.index, '3')
    await page.keyboard.press('n')
    f = await focused(page)
    assert.match(f.text, /Tool failed/)
    await page.keyboard.press('Enter')
    assert.equal((await focused(page)).expanded, 'true')
    await page.keyboard.press('End')
    f = await focused(page)
    const total = await page.getByTestId('timeline').getAttribute('data-total')
    assert.equal(f.index, String(Number(total) - 1))
    assert.match(f.text, /Answer/)
    await page.keyboard.press('Home')
    assert.equal((await focused(page)).index, '0')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'timeline-keyboard-dark')
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('a running session’s timeline fills in as it runs', async () => {
    await api('agents.create', {
      name: 'slow',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      system_prompt: 'You take your time.',
      tools: [],
    })
    const { session_id } = await api('run.start', { agent: 'slow', task: 'Take a while.' })
    const { page, context, errors } = await openPage(browser)
    await page.goto(at(`sessions/${session_id}`))
    await page.locator('.status-badge').getByText('Running').waitFor()
    const timeline = page.getByRole('list', { name: /^Events/ })
    await timeline.getByText('Take a while.').waitFor()
    assert.equal(await timeline.getByText('Done, slowly.').count(), 0)
    await timeline.getByText('Done, slowly.').first().waitFor({ timeout: 15000 })
    await page.locator('.status-badge').getByText('Completed').waitFor({ timeout: 5000 })
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('an unknown session says so in one sentence', async () => {
    const { page, context } = await openPage(browser)
    await page.goto(at('sessions/01NOTASESSION'))
    const alert = page.getByRole('alert')
    await alert.waitFor()
    assert.match(await alert.innerText(), /01NOTASESSION/)
    await context.close()
  })
})
