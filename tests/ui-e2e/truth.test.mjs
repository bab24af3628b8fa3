// The run panel tells the truth, in Debian's chromium against the real engine
// (`reverie serve`) and the fake model server: an answer renders as Markdown;
// a graded run shows each attempt as its own block ("Attempt 1 of 2") with
// the grader's verdict, score and per-criterion result under it; a run whose
// grading failed says so instead of "Completed"; and the agent's limits are
// set in the app, refused with a sentence when wrong, and a run that reaches
// one says where to change it.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const stack = await startStack('truth')
const { api, at, script, browser } = stack
after(stack.stop)

const rubric = (name, criteria) =>
  JSON.stringify({ schema: 'reverie.rubric/1', name, description: '', threshold: 1, max_iterations: 2, criteria })
const cites = { name: 'Names its source', weight: 1, required: true, kind: { type: 'regex', pattern: 'Source:', must_match: true } }

async function agentWithRubric(agent, rubricName, criteria) {
  await api('agents.create', { name: agent, provider: 'anthropic', model: 'claude-sonnet-4-5', tools: [] })
  const saved = await api('rubrics.save', { document: rubric(rubricName, criteria) })
  await api('agents.update', { name: agent, update: { default_rubric_id: saved.id } })
}

async function runInPanel(page, agent, task) {
  await page.goto(at('agents'))
  await page.getByRole('button', { name: `Run a task with ${agent}` }).click()
  const box = page.getByRole('textbox', { name: 'Task' })
  await box.fill(task)
  await box.press('Control+Enter')
}

describe('The run panel', () => {
  test('Markdown, one block per attempt, and the verdict under each', async () => {
    await agentWithRubric('reporter', 'Cited brief', [cites])
    await script({
      queue: [
        { text: '# Rates\n\nRates **rose** in May.' },
        { text: '# Rates\n\nRates **rose** in May.\n\nSource: the central bank' },
      ],
    })
    const { page, context, errors } = await openPage(browser)
    await runInPanel(page, 'reporter', 'Write a two-line brief on rates.')
    const status = page.getByTestId('run-status')
    await status.getByText('Did not pass', { exact: false }).or(status.getByText('Passed on attempt 2 of 2')).waitFor({ timeout: 30000 })
    assert.equal(await status.innerText(), 'Passed on attempt 2 of 2')

    const first = page.getByRole('region', { name: 'Attempt 1 of 2' })
    const second = page.getByRole('region', { name: 'Attempt 2 of 2' })
    // Markdown: a heading and bold text, not "#" and "**". The renderer may
    // still be arriving when the run ends, so wait for the heading.
    await first.getByRole('heading', { name: 'Rates' }).waitFor()
    assert.equal(await first.getByRole('heading', { name: 'Rates' }).count(), 1)
    assert.equal(await first.locator('.markdown strong').innerText(), 'rose')
    assert.doesNotMatch(await first.innerText(), /\*\*|^# /m)
    // The first attempt's verdict and the criterion it missed, with the gap.
    assert.match(await first.getByTestId('verdict').innerText(), /Sent back for another attempt · score 0%/)
    assert.match(await first.getByRole('list', { name: 'Criteria, attempt 1' }).innerText(), /Names its source: not met/)
    // The second attempt is its own block, not glued to the first.
    assert.match(await second.innerText(), /Source: the central bank/)
    assert.doesNotMatch(await first.innerText(), /central bank/)
    assert.match(await second.getByTestId('verdict').innerText(), /Passed · score 100%/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'run-panel-attempts')
    // The run's timeline, then Back: the panel is open with the run as it was.
    await page.getByRole('link', { name: "Open this session's timeline" }).click()
    await page.getByRole('heading', { level: 1, name: 'Write a two-line brief on rates.' }).waitFor()
    await page.goBack()
    await status.getByText('Passed on attempt 2 of 2').waitFor()
    assert.match(await second.getByTestId('verdict').innerText(), /Passed · score 100%/)
    assert.equal(await page.getByRole('textbox', { name: 'Task' }).inputValue(), 'Write a two-line brief on rates.')
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('a run whose grading failed says so, and the sessions list agrees', async () => {
    await agentWithRubric('judged', 'Judged brief', [
      { name: 'Reads well', weight: 1, required: true, kind: { type: 'judged', description: 'Clear and short.' } },
    ])
    await script({
      rules: [
        // The grader's model refuses the key: grading cannot happen.
        { when: { system_contains: 'You are a strict, fair grader' }, reply: { fault: { kind: 'unauthorized' } } },
      ],
      fallback: { text: 'A short, clear brief.' },
    })
    const { page, context } = await openPage(browser)
    await runInPanel(page, 'judged', 'Write a brief.')
    const status = page.getByTestId('run-status')
    await status.getByText('Finished, but grading failed').waitFor({ timeout: 30000 })
    const attempt = page.getByRole('region', { name: 'Attempt 1 of 2' })
    assert.match(await attempt.getByTestId('grading-failed').innerText(), /This attempt could not be graded/)
    assert.equal(await attempt.getByText('A short, clear brief.').count(), 1)
    await screenshot(page, 'run-panel-grading-failed')
    await context.close()
  })
})

describe('Limits a user can reach', () => {
  test('set in the app, refused with a sentence, and named when a run reaches one', async () => {
    await api('agents.create', { name: 'looper', provider: 'anthropic', model: 'claude-sonnet-4-5', tools: ['memory'] })
    // A model that calls a tool on every turn never finishes by itself.
    await script({ fallback: { content: [{ type: 'tool_use', id: 'tu', name: 'memory', input: { command: 'view', path: '/memories' } }] } })
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('agents/looper'))
    const limits = page.getByRole('region', { name: 'Limits' })
    const turns = limits.getByLabel('Turns per run')
    assert.equal(await turns.inputValue(), '30')
    // No complaint before anything is typed; one after a wrong value.
    assert.equal(await limits.locator('[aria-invalid="true"]').count(), 0)
    await turns.fill('0')
    await limits.getByText('Turns: a whole number from 1 to 1000.').waitFor()
    assert.equal(await turns.getAttribute('aria-invalid'), 'true')
    await screenshot(page, 'agent-limits-refused')
    await turns.fill('2')
    await limits.getByLabel('Cost cap per run').fill('0.50')
    await page.keyboard.press('Control+s')
    await page.getByTestId('save-note').getByText('Saved looper.').waitFor()
    const saved = await api('agents.get', { name: 'looper' })
    assert.equal(saved.settings.max_turns, 2)
    assert.equal(saved.settings.max_cost_usd, 0.5)

    await page.getByRole('button', { name: 'Run a task', exact: true }).click()
    const box = page.getByRole('textbox', { name: 'Task' })
    await box.fill('Look around.')
    await box.press('Control+Enter')
    const alert = page.getByRole('alert').filter({ hasText: 'limit of 2 turns' })
    await alert.waitFor({ timeout: 30000 })
    assert.match(await alert.innerText(), /Agents → looper → Limits/)
    assert.match(await alert.innerText(), /reverie agent update "looper" --max-turns N/)
    await screenshot(page, 'agent-limit-reached')
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })
})
