// Dream review in the real UI against `reverie serve` and the fake model
// server: sessions are run through the bridge, the model's proposal is
// scripted (as src-tauri/engine/tests/dream_e2e.rs does), then "Dream now"
// shows the estimate first and live progress, one change is accepted and
// another rejected, the rest applied, the dream reverted with a conflict
// decided, and the diary tells what it learned. axe on every screen, light
// and dark; screenshots into tests/artifacts/ui-e2e.
// Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack, waitForFocus } from './harness.mjs'

const INDEX = '- /memories/notes.md: facts about the user\n'
const NOTES = 'The user likes long, detailed answers.\n'
const { fake, browser, api, at, script, runTask, stop } = await startStack('dreams', {
  script: { fallback: { text: 'Done, briefly.' } },
})
after(stop)
let sessionIds

before(async () => {
  await api('agents.create', { name: 'helper', provider: 'anthropic', model: 'claude-sonnet-4-5', system_prompt: 'You help.', tools: [] })
  await api('memory.write', { store: 'helper', path: '/memories/_index.md', content: INDEX })
  await api('memory.write', { store: 'helper', path: '/memories/notes.md', content: NOTES })
  sessionIds = [
    await runTask('helper', 'Summarise this report. Keep it short, please.'),
    await runTask('helper', 'Answer in two lines at most.'),
  ]
  // The dream's answer: its proposal tool call, citing the sessions.
  await script({
    fallback: { text: 'Done, briefly.' },
    rules: [
      // The first dream's answer is slow, so it can be canceled mid-way.
      {
        when: { system_contains: 'propose_memory_edits' },
        times: 1,
        reply: { text: 'too late', first_byte_delay_ms: 15000 },
      },
      {
        when: { system_contains: 'propose_memory_edits' },
        reply: {
          content: [
            {
              type: 'tool_use',
              id: 'toolu_p',
              name: 'propose_memory_edits',
              input: {
                edits: [
                  {
                    op: 'create',
                    path: '/memories/style.md',
                    content: '# Style\n\n- Keep answers short: two lines when possible.\n',
                    reason: 'Both sessions asked for short answers.',
                    source_session_ids: sessionIds,
                  },
                  {
                    op: 'rewrite',
                    path: '/memories/notes.md',
                    content: 'The user likes short answers.\n',
                    reason: 'The note about long answers is contradicted.',
                    source_session_ids: [sessionIds[1]],
                  },
                  {
                    op: 'rewrite',
                    path: '/memories/_index.md',
                    content: `${INDEX}- /memories/style.md: how to write for the user\n`,
                    reason: 'List the new style document.',
                    source_session_ids: sessionIds,
                  },
                ],
              },
            },
          ],
          usage: { input_tokens: 1800, output_tokens: 240 },
        },
      },
    ],
  })
})

describe('Dream review', () => {
  test('dream now, accept one change and reject another, apply, revert with a conflict, read the diary', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('dreams'))
    const now = page.getByRole('region', { name: 'Dream now' })
    // The cost is shown before anything runs.
    await now.getByText(/Reads 2 sessions \(about [\d,]+ tokens in 1 model call\), costing about/).waitFor()
    assert.equal((await (await fetch(`${fake.url}/_fake/requests`)).json()).filter((r) => JSON.stringify(r).includes('propose_memory_edits')).length, 0)
    await page.getByRole('heading', { name: 'No dreams yet' }).waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'dreams-empty-estimate')

    // Progress is live, and a dream can be canceled without touching memory.
    await now.getByRole('button', { name: 'Start dream' }).click()
    const progress = page.getByTestId('dream-progress')
    await progress.getByText(/Dreaming over 2 sessions \(about [\d,]+ tokens\)\./).waitFor()
    // Everything fits one call, so it goes straight to comparing with the memory.
    await progress.getByText('Comparing what it found with the current memory…').waitFor()
    await screenshot(page, 'dreams-running')
    await now.getByRole('button', { name: 'Cancel' }).click()
    await page.getByTestId('dream-progress').getByText('Canceled. Memory was not changed.').waitFor({ timeout: 10000 })
    await now.getByRole('button', { name: 'Done' }).click()
    await now.getByText(/Reads 2 sessions/).waitFor()

    await now.getByRole('button', { name: 'Start dream' }).click()
    await page.getByTestId('dream-progress').getByText('Finished: 3 changes to review.').waitFor({ timeout: 20000 })
    const detail = page.getByRole('region', { name: /helper’s dream/ })
    await detail.getByTestId('dream-state').getByText('Waiting for review').waitFor()
    const style = detail.getByRole('article', { name: '/memories/style.md' })
    const notes = detail.getByRole('article', { name: '/memories/notes.md' })
    const index = detail.getByRole('article', { name: '/memories/_index.md' })
    await style.getByText('Both sessions asked for short answers.').waitFor()
    // Each change links to the sessions that justify it, named by their task.
    const links = style.locator('.edit-sources a')
    await style.getByRole('link', { name: 'Summarise this report. Keep it short, please.' }).waitFor()
    assert.equal(await links.count(), 2)
    assert.equal(await links.first().getAttribute('href'), `#/sessions/${sessionIds[0]}`)
    // The sessions the dream read: a count, their titles on demand.
    const read = detail.getByTestId('dream-sessions')
    assert.equal((await read.locator('summary').innerText()).trim(), '2 sessions')
    assert.equal(await read.getByRole('link', { name: 'Answer in two lines at most.' }).isVisible(), false)
    await read.locator('summary').click()
    await read.getByRole('link', { name: 'Answer in two lines at most.' }).waitFor()
    // Following a source and coming back returns to this proposal, by the
    // browser's Back and Forward as by the link.
    const proposalAddress = page.url()
    assert.match(proposalAddress, /#\/dreams\?dream=/, 'the open dream is in the address')
    await links.first().click()
    await page.getByRole('link', { name: '← Back to the dream' }).waitFor()
    const sourceAddress = page.url()
    assert.match(sourceAddress, new RegExp(`#/sessions/${sessionIds[0]}`))
    await page.goBack()
    await detail.getByTestId('dream-state').getByText('Waiting for review').waitFor()
    assert.equal(page.url(), proposalAddress)
    await page.goForward()
    await page.getByRole('link', { name: '← Back to the dream' }).waitFor()
    assert.equal(page.url(), sourceAddress)
    await page.getByRole('link', { name: '← Back to the dream' }).click()
    await detail.getByTestId('dream-state').getByText('Waiting for review').waitFor()
    await style.getByText('Both sessions asked for short answers.').waitFor()
    // The list's agent filter is kept in the address with the open dream.
    await page.getByLabel('Show dreams of').selectOption('helper')
    await page.waitForURL(/#\/dreams\?dream=[^&]+&agent=helper$/)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click()
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor()
    await page.goBack()
    await detail.getByTestId('dream-state').getByText('Waiting for review').waitFor()
    assert.equal(await page.getByLabel('Show dreams of').inputValue(), 'helper')
    // The rewrite shows as a diff against what the document holds.
    const notesDiff = notes.getByRole('region', { name: 'Change to /memories/notes.md' })
    await notesDiff.locator('.diff-removed').getByText('The user likes long, detailed answers.').waitFor()
    await notesDiff.locator('.diff-added').getByText('The user likes short answers.').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'dreams-proposal')

    // The memory editor points at the proposal waiting for this store, and back.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Memory' }).click()
    await page.getByText('A dream proposes 3 changes to this memory.').waitFor()
    await page.getByRole('link', { name: 'Review it' }).click()
    await detail.getByTestId('dream-state').getByText('Waiting for review').waitFor()

    const apply = detail.getByRole('button', { name: /^Apply / })
    assert.ok(await apply.isDisabled(), 'nothing applies before every change is decided')
    await style.getByRole('button', { name: 'Accept' }).click()
    await style.getByText('Accepted', { exact: true }).waitFor()
    await notes.getByRole('button', { name: 'Reject' }).click()
    await notes.getByText('Rejected', { exact: true }).waitFor()
    await index.getByRole('button', { name: 'Accept' }).click()
    await detail.getByTestId('decision-counts').getByText('2 accepted · 1 rejected · 0 undecided').waitFor()
    await screenshot(page, 'dreams-decided')
    await detail.getByRole('button', { name: 'Apply 2 accepted changes' }).click()
    await detail.getByRole('status').getByText('Applied 2 changes to helper’s memory.').waitFor()
    await detail.getByTestId('dream-state').getByText('Partly applied').waitFor()
    // The long review page holds: the window itself never scrolls (the
    // document is exactly as tall as the viewport, the sidebar reaches the
    // bottom); the main pane scrolls instead.
    const layout = await page.evaluate(() => {
      const main = document.querySelector('main')
      const sidebar = document.querySelector('.sidebar')
      return {
        doc: document.documentElement.scrollHeight,
        body: document.body.scrollHeight,
        viewport: window.innerHeight,
        sidebarBottom: Math.round(sidebar.getBoundingClientRect().bottom),
        mainScrolls: main.scrollHeight > main.clientHeight,
      }
    })
    assert.equal(layout.doc, layout.viewport, `document ${layout.doc} px tall in a ${layout.viewport} px window`)
    assert.equal(layout.body, layout.viewport)
    assert.equal(layout.sidebarBottom, layout.viewport, 'the sidebar ends at the bottom of the window')
    assert.ok(layout.mainScrolls, 'the review is longer than the window, so the main pane scrolls')

    const memory = async (p) => (await api('memory.read', { store: 'helper', path: p })).content
    assert.equal(await memory('/memories/style.md'), '# Style\n\n- Keep answers short: two lines when possible.\n')
    assert.equal(await memory('/memories/notes.md'), NOTES, 'the rejected change is not applied')
    assert.match(await memory('/memories/_index.md'), /style\.md/)

    // Someone edits the dream's document afterwards; revert asks what to keep.
    await api('memory.write', { store: 'helper', path: '/memories/style.md', content: '# Style\n\n- Short answers, and no emoji.\n' })
    await detail.getByRole('button', { name: 'Revert this dream…' }).click()
    const revert = detail.getByRole('region', { name: 'Revert this dream' })
    const conflict = revert.getByRole('group', { name: '/memories/style.md' })
    await conflict.getByText('- Short answers, and no emoji.').waitFor()
    assert.ok(await revert.getByRole('button', { name: 'Revert dream' }).isDisabled())
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'dreams-revert-conflict')
    await conflict.getByLabel('Keep the current text').check()
    await revert.getByRole('button', { name: 'Revert dream' }).click()
    await detail.getByRole('status').getByText('Reverted: restored 1 document; kept your later edits of /memories/style.md.').waitFor()
    await detail.getByTestId('dream-state').getByText('Reverted').waitFor()
    assert.equal(await memory('/memories/_index.md'), INDEX)
    assert.equal(await memory('/memories/style.md'), '# Style\n\n- Short answers, and no emoji.\n')

    await page.getByRole('tab', { name: 'Diary' }).click()
    const diary = page.getByRole('list', { name: 'Dream diary' })
    await diary.getByRole('heading', { name: 'helper read 2 sessions and proposed 3 changes.' }).waitFor()
    await diary.getByText('Both sessions asked for short answers. (new document /memories/style.md)').waitFor()
    await diary.getByText('The note about long answers is contradicted. (rewrite /memories/notes.md) — you rejected this').waitFor()
    await diary.getByText(/Applied, then reverted\./).waitFor()
    await diary.getByRole('heading', { name: 'helper’s dream over 2 sessions was canceled.' }).waitFor()
    // Newest first.
    assert.match(await diary.innerText(), /proposed 3 changes[\s\S]*was canceled/)
    assert.doesNotMatch(await diary.innerText(), /List the new style document/, 'the index edit is not a lesson')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'dreams-diary')
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('the Dreams screen in dark mode, by keyboard: tabs switch with the arrows', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('dreams'))
    const rows = page.getByRole('navigation', { name: 'Dreams' }).getByRole('button')
    const row = rows.first()
    await row.waitFor()
    assert.equal(await rows.count(), 2, 'the canceled dream is listed too')
    await row.focus()
    await page.keyboard.press('Enter')
    await page.getByRole('region', { name: /helper’s dream/ }).getByTestId('dream-state').getByText('Reverted').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'dreams-review-dark')
    await page.getByRole('tab', { name: 'Review' }).focus()
    await page.keyboard.press('ArrowRight')
    await page.getByRole('list', { name: 'Dream diary' }).waitFor()
    await waitForFocus(page, () => document.activeElement?.textContent, 'Diary')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'dreams-diary-dark')
    assert.deepEqual(errors, [])
    await context.close()
  })
})
