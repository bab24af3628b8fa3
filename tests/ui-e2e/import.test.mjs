// Importing past sessions in the real UI against `reverie serve`: a JSON
// Lines file of OpenAI chat conversations (one line malformed) is imported
// into an agent from the Sessions screen, the report names the bad line, a
// second import adds nothing, "stop" mode stops with the reason; the
// imported sessions are listed with their source and open as timelines. Then
// the one-click demo data: 120 real airline sessions (τ-bench) with their
// rewards. axe on each state, light and dark; screenshots into
// tests/artifacts/ui-e2e. Needs target/debug/reverie,
// target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ignorable, openPage, screenshot, seriousViolations, startStack, waitForFocus } from './harness.mjs'

const { dirs, browser, api, at, stop } = await startStack('import', { dirs: ['files'] })
after(stop)
const { files } = dirs

const conversation = (question, answer) => ({
  messages: [
    { role: 'system', content: 'You answer billing questions.' },
    { role: 'user', content: question },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup_invoice', arguments: '{"id":"INV-7"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"total": 42}' },
    { role: 'assistant', content: answer },
  ],
})

before(async () => {
  await api('agents.create', { name: 'billing', provider: 'anthropic', model: 'claude-sonnet-4-5', system_prompt: 'You help.', tools: [] })
  writeFileSync(
    path.join(files, 'conversations.jsonl'),
    [
      JSON.stringify(conversation('What is on invoice INV-7?', 'Invoice INV-7 totals 42 euros.')),
      '{"messages": [ this line is broken',
      JSON.stringify(conversation('Why was I charged twice?', 'The second charge was refunded on Monday.')),
    ].join('\n') + '\n',
  )
  writeFileSync(path.join(files, 'not-conversations.jsonl'), '{"hello": "world"}\n')
})

describe('Import sessions', () => {
  test('a JSON Lines file: imported with the bad line named, then again without duplicates', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('sessions'))
    await page.getByText('No sessions yet').waitFor()
    await page.getByRole('button', { name: 'Import sessions…' }).click()
    const panel = page.getByRole('dialog', { name: 'Import sessions' })
    // The agent picker has focus; the file is named by path in a browser.
    await waitForFocus(page, () => document.activeElement?.tagName, 'SELECT')
    await panel.getByRole('button', { name: 'Import' }).click()
    await panel.getByRole('alert').getByText('Type the path of the file to import.').waitFor()

    await panel.getByLabel('File', { exact: true }).fill(path.join(files, 'conversations.jsonl'))
    await panel.getByRole('button', { name: 'Import' }).click()
    const report = panel.getByTestId('import-report')
    await report
      .getByText(
        'Imported 2 sessions into billing from conversations.jsonl (OpenAI chat JSON). 1 malformed record was skipped; see where below.',
      )
      .waitFor()
    await report.getByText('The malformed record').click()
    await report.getByText(/line 2/).waitFor()
    await screenshot(page, 'import-report')
    assert.deepEqual(await seriousViolations(page), [])

    // The list shows them, marked as imported.
    const list = page.getByRole('list', { name: 'Sessions' })
    await list.getByText('Why was I charged twice?').waitFor()
    assert.equal(await list.getByRole('listitem').count(), 2)
    assert.equal(await list.getByText('Imported', { exact: true }).count(), 2)

    // Again: nothing new.
    await panel.getByRole('button', { name: 'Import' }).click()
    await report.getByText('Nothing new in conversations.jsonl (OpenAI chat JSON): all 2 sessions were imported before.').waitFor()
    assert.equal((await api('sessions.list', { agent: 'billing' })).length, 2)

    // Stop mode: the first record that is not a conversation stops it, with why.
    await panel.getByLabel('File', { exact: true }).fill(path.join(files, 'not-conversations.jsonl'))
    await panel.getByLabel('Stop the import').check()
    await panel.getByRole('button', { name: 'Import' }).click()
    await panel.getByTestId('import-report').getByText(/^The import stopped: /).waitFor()

    // A file that is not there: one sentence, nothing imported.
    await panel.getByLabel('File', { exact: true }).fill(path.join(files, 'missing.jsonl'))
    await panel.getByRole('button', { name: 'Import' }).click()
    const refusal = panel.getByRole('alert').filter({ hasText: 'missing.jsonl' })
    await refusal.waitFor()
    assert.ok(!/\bat \w+::|panicked|stack/i.test(await refusal.textContent()), 'no stack trace')

    // Escape closes the panel and focus returns to its button.
    await panel.getByLabel('File', { exact: true }).press('Escape')
    await panel.waitFor({ state: 'detached' })
    await waitForFocus(page, () => document.activeElement?.textContent, 'Import sessions…')

    // An imported session opens as a timeline with its source.
    await list.getByText('What is on invoice INV-7?').click()
    await page.getByTestId('imported-from').getByText(/conversations\.jsonl \(OpenAI chat JSON\), record 1/).waitFor()
    await page.getByTestId('timeline').getByText('lookup_invoice').first().waitFor()
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })

  test('demo data: 120 real airline sessions with their rewards, in one click', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('sessions'))
    await page.getByRole('button', { name: 'Load demo data' }).click()
    await page
      .getByTestId('demo-note')
      .getByText('Loaded 120 airline customer-service sessions into airline-agent.')
      .waitFor({ timeout: 60000 })
    // The list now shows the demo agent's sessions, most of them failed.
    const list = page.getByRole('list', { name: 'Sessions' })
    await list.getByText(/Imported · failed \(reward 0\)/).first().waitFor()
    assert.equal(await list.getByRole('listitem').count(), 120)
    assert.equal(await list.getByText('Imported · failed (reward 0)').count(), 84)
    assert.equal(await list.getByText('Imported · passed (reward 1)').count(), 36)
    await screenshot(page, 'import-demo-dark')
    assert.deepEqual(await seriousViolations(page), [])

    // Loading again adds nothing.
    await page.getByRole('button', { name: 'Load demo data' }).click()
    await page.getByTestId('demo-note').getByText('The demo sessions are already in airline-agent.').waitFor()
    assert.equal((await api('sessions.list', { agent: 'airline-agent' })).length, 120)

    await list.getByRole('link').first().click()
    await page.getByTestId('imported-from').getByText(/gpt-4o-airline-tasks-00-29\.json \(OpenAI chat JSON\)/).waitFor()
    await screenshot(page, 'import-demo-timeline-dark')
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })
})
