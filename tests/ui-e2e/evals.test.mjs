// Issue 16 ("Dreams that prove themselves") in the real UI against
// `reverie serve` and the fake model server: the regression gate's results
// in a dream's review (a dream that adds the memory line a check needs is
// applied, one that removes it is held with the regression listed first;
// "Check again" shows progress and can be canceled), the pass-rate chart
// with its tooltip, table and dream marker, who wrote each line of a memory
// document (pin and forget a line; the timeline's memory receipt opens the
// blame at the version read), and checking the grader's steadiness. The
// model's answers are scripted as src-tauri/engine/tests/eval_gate.rs does:
// the agent cites the handbook only when its memory carries LINE, and the
// grader passes only a cited answer. axe on every screen; screenshots into
// tests/artifacts/ui-e2e. Needs target/debug/reverie,
// target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ignorable, openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const LINE = 'Always cite the handbook by section number.'
const INDEX = '- /memories/notes.md: facts\n'
const GRADER = 'strict, fair grader'
const VERDICT_TOOL = 'record_verdicts'
const CITES = {
  schema: 'reverie.rubric/1',
  name: 'cites',
  description: 'Answers cite the handbook.',
  threshold: 0.5,
  max_iterations: 1,
  criteria: [
    { name: 'Cites the handbook', weight: 1, required: true, kind: { type: 'judged', description: 'Cites the handbook section the answer rests on.' } },
  ],
}
const TONE = {
  schema: 'reverie.rubric/1',
  name: 'tone',
  description: 'Helpful, friendly answers.',
  threshold: 0.5,
  max_iterations: 1,
  criteria: [
    { name: 'Answers the question', weight: 1, required: false, kind: { type: 'judged', description: 'Gives the number of days asked for.' } },
    { name: 'Friendly tone', weight: 1, required: false, kind: { type: 'judged', description: 'Sounds warm without being vague.' } },
  ],
}

const verdicts = (list, id = 'toolu_g') => ({
  content: [
    {
      type: 'tool_use',
      id,
      name: VERDICT_TOOL,
      input: {
        applies: true,
        explanation: 'Graded.',
        verdicts: list.map((passed, i) => ({
          criterion_index: i,
          passed,
          score: passed ? 1 : 0,
          evidence: passed ? 'CITED-ANSWER' : 'plain',
          gap: passed ? null : 'Cite the section.',
        })),
      },
    },
  ],
})
const proposal = (edits) => ({ content: [{ type: 'tool_use', id: 'toolu_p', name: 'propose_memory_edits', input: { edits } }] })

/**
 * The model: dreams answer with `dream` (a proposal), the grader passes a
 * cited answer, the helper cites for TASK-Q only with LINE in its memory
 * (slowly when `slow`), always for TASK-R.
 */
function gateScript({ dream, slow = 0 } = {}) {
  const delay = slow ? { first_byte_delay_ms: slow } : {}
  return {
    rules: [
      ...(dream ? [{ when: { system_contains: 'propose_memory_edits' }, times: 1, reply: dream }] : []),
      { when: { system_contains: GRADER, last_user_contains: 'CITED-ANSWER' }, reply: verdicts([true]) },
      { when: { system_contains: GRADER }, reply: verdicts([false]) },
      { when: { system_contains: LINE, last_user_contains: 'TASK-Q' }, reply: { text: 'CITED-ANSWER: 25 days (handbook §4.2).', ...delay } },
      { when: { system_contains: 'careful assistant', last_user_contains: 'TASK-Q' }, reply: { text: '25 days.', ...delay } },
      { when: { system_contains: 'careful assistant', last_user_contains: 'TASK-R' }, reply: { text: 'CITED-ANSWER: 1 Main Street (handbook §1.1).', ...delay } },
    ],
    fallback: { text: 'Done, briefly.' },
  }
}

const { browser, api, at, script, runTask, stop } = await startStack('evals', { script: gateScript() })
after(stop)

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** Starts a dream and waits until it is done, gate included. */
async function dream(agent, edits) {
  const started = await api('dreams.start', { agent, apply: true })
  for (let i = 0; i < 600; i++) {
    const { dream } = await api('dreams.get', { id: started.id })
    if (dream.progress?.phase === 'done' || ['failed', 'canceled'].includes(dream.status)) return dream
    await sleep(100)
  }
  throw new Error(`dream ${started.id} did not finish (${JSON.stringify(edits).slice(0, 80)})`)
}
const memory = async (store, p) => (await api('memory.read', { store, path: p })).content
let dreamA, dreamB

before(async () => {
  await api('agents.create', { name: 'helper', provider: 'anthropic', model: 'claude-sonnet-4-5', system_prompt: 'You are a careful assistant.', tools: ['memory'] })
  await api('memory.write', { store: 'helper', path: '/memories/_index.md', content: INDEX })
  await api('rubrics.save', { document: JSON.stringify(CITES, null, 2) })
  // TASK-R first, so "regressions first" is the UI's order, not the engine's.
  await api('evals.add', { agent: 'helper', task: 'TASK-R: where is the office?', rubric: 'cites' })
  await api('evals.add', { agent: 'helper', task: 'TASK-Q: how many vacation days do new staff get?', rubric: 'cites' })
  assert.equal((await api('evals.list', { agent: 'helper' })).length, 2)

  // Dream A adds the line the vacation check needs: the gate applies it.
  let ids = [await runTask('helper', 'Which days off do I get?')]
  await script(
    gateScript({
      dream: proposal([{ op: 'rewrite', path: '/memories/_index.md', content: `${INDEX}- ${LINE}\n`, reason: 'The user wants sources.', source_session_ids: ids }]),
    }),
  )
  dreamA = await dream('helper')
  assert.equal(dreamA.review, 'applied', JSON.stringify(dreamA.progress))
  assert.equal(await memory('helper', '/memories/_index.md'), `${INDEX}- ${LINE}\n`)

  // Dream B removes it: the vacation check regresses, so B is held.
  ids = [await runTask('helper', 'Any more days off?')]
  await script(
    gateScript({
      dream: proposal([{ op: 'rewrite', path: '/memories/_index.md', content: INDEX, reason: 'The line about sources is noise.', source_session_ids: ids }]),
    }),
  )
  dreamB = await dream('helper')
  assert.equal(dreamB.review, 'staged', JSON.stringify(dreamB.progress))
  assert.equal(await memory('helper', '/memories/_index.md'), `${INDEX}- ${LINE}\n`, 'a held dream changes nothing')
})

describe('Dreams that prove themselves', () => {
  test('the gate in the dream review: the regression first, its sessions, check again, cancel the checks', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at(`dreams?dream=${dreamB.id}`))
    const panel = page.getByTestId('gate-panel')
    await panel.waitFor({ timeout: 10000 })
    const verdict = panel.getByTestId('gate-verdict')
    await verdict.getByText('Held for review').waitFor()
    assert.match(await verdict.innerText(), /passed before and fails after/)
    assert.equal(await panel.getByTestId('gate-passed').innerText(), '2 of 2 with memory as it is · 1 of 2 with this dream\'s changes')
    assert.equal((await panel.getByTestId('gate-regressions').innerText()).trim(), '1 check')
    const rows = panel.getByTestId('gate-task')
    assert.equal(await rows.count(), 2)
    // The regression is first though it was added second.
    assert.match(await rows.nth(0).innerText(), /Worse\s+TASK-Q/)
    assert.match(await rows.nth(0).getAttribute('class'), /is-regression/)
    assert.match(await rows.nth(1).innerText(), /TASK-R/)
    assert.equal((await rows.nth(1).getAttribute('class')) ?? '', '')
    // Each side links to the session it ran in.
    const gate = await api('evals.gate', { dream_id: dreamB.id })
    const q = gate.tasks.find((t) => t.task.startsWith('TASK-Q'))
    const links = rows.nth(0).getByRole('link', { name: /^Open the session/ })
    assert.equal(await links.count(), 2)
    const beforeLink = rows.nth(0).getByRole('link', { name: 'Open the session before the dream' })
    const afterLink = rows.nth(0).getByRole('link', { name: 'Open the session after the dream' })
    assert.equal(await beforeLink.getAttribute('href'), `#/sessions/${q.before.session_id}`)
    assert.equal(await afterLink.getAttribute('href'), `#/sessions/${q.after.session_id}`)
    // The dream says why it was held, once.
    await page.getByText(/^Held for your review because the evaluation got worse — /).waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await panel.scrollIntoViewIfNeeded()
    await screenshot(page, 'evals-gate-held')

    // Following the "after" session and coming back returns to the dream.
    await afterLink.click()
    await page.getByText('25 days.').first().waitFor()
    await page.getByRole('link', { name: '← Back to the dream' }).click()
    await panel.getByTestId('gate-verdict').waitFor()

    // Check again, slowly: progress shows, and the checks can be canceled.
    await script(gateScript({ slow: 2500 }))
    await panel.getByRole('button', { name: 'Check again' }).click()
    const progress = panel.getByTestId('gate-progress')
    await progress.waitFor()
    assert.match(await progress.innerText(), /^\d of 4 runs done \(each check runs before and after\)$/)
    await verdict.getByText('Checking').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await panel.scrollIntoViewIfNeeded()
    await screenshot(page, 'evals-gate-running')
    await panel.getByRole('button', { name: 'Cancel the checks' }).click()
    await verdict.getByText('Canceled').waitFor()
    await verdict.getByText('The check was stopped; memory was not changed.').waitFor()
    assert.equal(await progress.count(), 0)
    // The cancel holds: the run in the background does not bring it back.
    await sleep(6000)
    assert.equal((await api('evals.gate', { dream_id: dreamB.id })).status, 'canceled')
    await verdict.getByText('Canceled').waitFor()

    // Check again, to the end: the same regression.
    await script(gateScript())
    await panel.getByRole('button', { name: 'Check again' }).click()
    await verdict.getByText('Held for review').waitFor({ timeout: 30000 })
    assert.match(await rows.nth(0).innerText(), /Worse\s+TASK-Q/)
    assert.equal(await memory('helper', '/memories/_index.md'), `${INDEX}- ${LINE}\n`, 'checking changes nothing')
    assert.deepEqual(await seriousViolations(page), [])
    await panel.scrollIntoViewIfNeeded()
    await screenshot(page, 'evals-gate-checked-again')

    // The applied dream's gate says why it was applied.
    await page.goto(at(`dreams?dream=${dreamA.id}`))
    await page.getByTestId('gate-verdict').getByText('No regressions').waitFor({ timeout: 10000 })
    assert.match(await page.getByTestId('gate-verdict').innerText(), /Nothing got worse \(1 of 2 checks passed before, 2 after\), so the changes were applied\./)
    await page.getByTestId('gate-panel').scrollIntoViewIfNeeded()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-gate-applied')
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })

  test('the chart: pass rates per day, a point’s sessions, the table, the applied dream', async () => {
    const graded = []
    for (const task of ['TASK-R: where is the office, again?', 'What is two plus two?']) {
      const { session_id } = await api('run.start', { agent: 'helper', task, rubric: 'cites' })
      for (let i = 0; i < 300; i++) {
        if ((await api('sessions.get', { id: session_id })).session.status !== 'running') break
        await sleep(100)
      }
      graded.push(session_id)
    }
    const series = await api('outcomes.series', { agent: 'helper' })
    const cites = series.series.find((s) => s.rubric === 'cites')
    assert.equal(cites.points.length, 1, JSON.stringify(series))
    assert.equal(cites.points[0].pass_rate, 0.5)
    assert.deepEqual([...cites.points[0].session_ids].sort(), [...graded].sort(), 'gate runs are left out')

    const { page, context, errors } = await openPage(browser)
    await page.goto(at('agents/helper'))
    await page.getByRole('button', { name: 'Pass rates over time' }).click()
    const chart = page.getByTestId('pass-chart')
    await chart.waitFor({ timeout: 10000 })
    assert.match(await chart.locator('figcaption').innerText(), /helper · graded with cites · pass rate/)
    const point = chart.locator('.chart-point')
    await point.first().waitFor()
    assert.equal(await point.count(), 1)
    // The applied dream is marked; the held one is not.
    const marks = chart.getByRole('list', { name: 'Dreams' })
    const markLinks = marks.getByRole('link', { name: /^Dream applied / })
    assert.equal(await markLinks.count(), 1)
    assert.equal(await markLinks.first().getAttribute('href'), `#/dreams?dream=${dreamA.id}`)
    assert.equal(await chart.locator('.chart-marker').count(), 1)

    await point.first().hover()
    const tip = page.getByTestId('chart-tip')
    await tip.waitFor()
    assert.match(await tip.innerText(), /50% · 2 runs/)
    await tip.getByText('TASK-R: where is the office, again?').waitFor()
    await tip.getByText('What is two plus two?').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-chart-tip')

    // Clicking the point lists its sessions as links. The pointer is on it,
    // so recharts' highlight is drawn on top and takes the click, as a
    // person's click does after hovering.
    await chart.locator('.recharts-active-dot').waitFor()
    const box = await point.first().boundingBox()
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
    const picked = chart.getByRole('region', { name: /^Sessions on / })
    await picked.getByRole('link', { name: 'What is two plus two?' }).waitFor()

    await chart.getByText('Show as a table').click()
    const tableRows = chart.getByTestId('chart-row')
    assert.equal(await tableRows.count(), 1)
    assert.match(await tableRows.first().innerText(), /50%\s+2\s/)
    await tableRows.first().getByRole('link', { name: 'TASK-R: where is the office, again?' }).waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-chart-table')

    // The same chart on the Sessions screen.
    await page.goto(at('sessions'))
    await page.getByRole('button', { name: 'Pass rates over time' }).click()
    await page.getByTestId('pass-chart').locator('.chart-point').first().waitFor({ timeout: 10000 })
    assert.deepEqual(await seriousViolations(page), [])
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })

  test('who wrote what: the user and the dream, pin and forget a line, the receipt opens the version read', async () => {
    const NOTES = 'The user is called Sam.\nThe user likes tea.\n'
    await api('agents.create', { name: 'scribe', provider: 'anthropic', model: 'claude-sonnet-4-5', system_prompt: 'You keep notes.', tools: ['memory'] })
    await api('memory.write', { store: 'scribe', path: '/memories/notes.md', content: NOTES })
    // The scribe reads its notes with the memory tool: a receipt of version 1.
    await script({
      rules: [
        {
          when: { system_contains: 'You keep notes', last_user_contains: 'RECALL' },
          times: 1,
          reply: { content: [{ type: 'tool_use', id: 'toolu_m', name: 'memory', input: { command: 'view', path: '/memories/notes.md' } }] },
        },
      ],
      fallback: { text: 'Sam likes tea.' },
    })
    const recall = await runTask('scribe', 'RECALL what you know about me.')
    // A dream rewrites the notes and is applied (the scribe has no checks).
    await script({
      rules: [
        {
          when: { system_contains: 'propose_memory_edits' },
          times: 1,
          reply: proposal([
            {
              op: 'rewrite',
              path: '/memories/notes.md',
              content: 'The user is called Sam.\nThe user likes coffee now.\nThe user lives in Leeds.\n',
              reason: 'Sam said so.',
              source_session_ids: [recall],
            },
          ]),
        },
      ],
      fallback: { text: 'Done.' },
    })
    const dreamC = await dream('scribe')
    assert.equal(dreamC.review, 'applied', JSON.stringify(dreamC.progress))

    const { page, context, errors } = await openPage(browser)
    await page.goto(at(`memory?store=scribe&doc=${encodeURIComponent('/memories/notes.md')}`))
    await page.getByRole('button', { name: 'Who wrote what' }).click()
    const blame = page.getByTestId('blame')
    await blame.getByRole('heading', { name: 'Who wrote each line of version 2' }).waitFor()
    const lines = blame.getByTestId('blame-line')
    assert.equal(await lines.count(), 3)
    assert.match(await lines.nth(0).innerText(), /You/)
    assert.doesNotMatch(await lines.nth(0).innerText(), /dream/)
    for (const i of [1, 2]) {
      // The engine names no agent for a dream's line (see the report), so "A dream".
      const author = lines.nth(i).getByRole('link', { name: /^A dream/ })
      assert.equal(await author.getAttribute('href'), `#/dreams?dream=${dreamC.id}`)
    }
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-blame')

    // Pin the user's line: dreams will not delete it.
    await blame.getByRole('button', { name: 'Line 1: The user is called Sam.' }).click()
    await blame.getByRole('group', { name: 'Change line 1' }).getByRole('button', { name: 'Pin it' }).click()
    await blame.getByText('Pinned the line: dreams will not delete it.').waitFor()
    await lines.nth(0).getByText('Pinned', { exact: true }).waitFor()
    assert.equal((await api('memory.blame', { store: 'scribe', path: '/memories/notes.md' })).lines[0].pinned, true)
    // Forget the dream's line about Leeds: a new version without it.
    await blame.getByRole('button', { name: 'Line 3: The user lives in Leeds.' }).click()
    const actions = blame.getByRole('group', { name: 'Change line 3' })
    await actions.getByText('Why it was written: Sam said so.').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-blame-line-actions')
    await actions.getByRole('button', { name: 'Forget it' }).click()
    await blame.getByText('Forgot the line; saved as version 3.').waitFor()
    assert.equal(await memory('scribe', '/memories/notes.md'), 'The user is called Sam.\nThe user likes coffee now.\n')
    assert.equal(await lines.count(), 2)
    await blame.getByRole('heading', { name: 'Who wrote each line of version 3' }).waitFor()

    // The recall session's receipt opens the blame at the version it read.
    await page.goto(at(`sessions/${recall}`))
    // The receipt is in the memory read's details.
    await page.locator('.tl-row-main').filter({ hasText: 'Memory read' }).first().click({ timeout: 10000 })
    const receipt = page.getByTestId('memory-receipt').first()
    await receipt.waitFor({ timeout: 10000 })
    assert.match(await receipt.innerText(), /Read version 1 of \/memories\/notes\.md/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-memory-receipt')
    await receipt.getByRole('link', { name: 'See who wrote each line of version 1' }).click()
    const old = page.getByTestId('blame')
    await old.getByRole('heading', { name: 'Who wrote each line of version 1' }).waitFor({ timeout: 10000 })
    const oldLines = old.getByTestId('blame-line')
    assert.equal(await oldLines.count(), 2)
    assert.match(await oldLines.nth(1).innerText(), /The user likes tea\./)
    assert.equal(await old.getByRole('link', { name: /A dream/ }).count(), 0)
    // An older version is to read only.
    assert.ok(await old.getByRole('button', { name: 'Line 2: The user likes tea.' }).isDisabled())
    await old.getByRole('button', { name: 'Show the current version' }).waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-blame-old-version')
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })

  test('check the grader: an unsteady judged criterion is flagged with advice', async () => {
    await api('rubrics.save', { document: JSON.stringify(TONE, null, 2) })
    const past = await runTask('helper', 'TASK-R: where is the office? (for calibration)')
    // The grader agrees on the first criterion and flips on the second.
    await script({
      rules: [
        { when: { system_contains: GRADER }, times: 1, reply: verdicts([true, true], 'toolu_c1') },
        { when: { system_contains: GRADER }, times: 1, reply: verdicts([true, false], 'toolu_c2') },
        { when: { system_contains: GRADER }, reply: verdicts([true, true], 'toolu_c3') },
      ],
      fallback: { text: 'Done.' },
    })
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('rubrics'))
    await page.getByRole('button', { name: 'Edit tone' }).click()
    const panel = page.getByRole('region', { name: 'Check the grader' })
    await panel.waitFor()
    await panel.getByLabel('Output to grade').selectOption(past)
    await panel.getByLabel('Times').fill('3')
    await panel.getByRole('button', { name: 'Check the grader' }).click()
    const result = panel.getByTestId('calibration')
    await result.waitFor({ timeout: 20000 })
    assert.match(await result.locator('.grade-headline').innerText(), /1 of 2 criteria are unsteady over 3 gradings\./)
    const rows = result.getByTestId('calibration-row')
    assert.equal(await rows.count(), 2)
    assert.match(await rows.nth(0).innerText(), /Answers the question\s+100%\s+3 of 3[\s\S]*Steady/)
    assert.equal((await rows.nth(0).getAttribute('class')) ?? '', '')
    assert.match(await rows.nth(1).innerText(), /Friendly tone\s+67%\s+2 of 3[\s\S]*Unsteady/)
    assert.match(await rows.nth(1).getAttribute('class'), /is-unstable/)
    assert.ok((await rows.nth(1).locator('.calibration-advice').innerText()).length > 20)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'evals-calibration')
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })
})
