// The Claude Managed Agents bridge in the real UI against `reverie serve`,
// with the fake model server standing in for Anthropic (it accepts only the
// test's key, and keeps Managed Agents stores, sessions and dreams in
// memory). Settings: off by default; the key goes to the system keychain
// (run inside a D-Bus session with gnome-keyring, as scripts/test.sh does);
// the bridge is turned on with its ids and the connection checked. Memory:
// a store is pushed, a document changed on Claude (a teammate, through the
// fake server's control route) and here (in the editor), and the pull
// shows the conflict with nothing lost; resolved, the next push carries
// this version over. A dream on Claude is started, followed while it runs,
// scripted to complete with a new document, brought back, and reviewed as
// a staged dream on the Dreams screen. axe on every screen, light and dark;
// screenshots into tests/artifacts/ui-e2e.
// Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fakeControl, ignorable, openPage, screenshot, seriousViolations, startStack, waitForFocus } from './harness.mjs'

const KEY = 'sk-ant-managed-e2e-4b2e'
const NOTES = '# Notes\n\nThe user likes long answers.\n'
const TEAMMATE = '# Notes\n\nThe user likes long answers.\nA teammate: the user reads on a phone.\n'
const LOCAL_LINE = 'Here: the user prefers bullet points.'
const STYLE = '# Style\n\nShort answers, in bullet points.\n'
const { dataDir, fake, browser, api, at, stop, runTask: runAndWait } = await startStack('managed', {
  // Only this key is accepted, by the Messages API and Managed Agents alike.
  script: { api_key: KEY, fallback: { text: 'Done, briefly.' } },
  // No key in the environment: the bridge must find it in the keychain.
  env: { ANTHROPIC_API_KEY: '' },
})
after(async () => {
  await api('keys.delete', { provider: 'anthropic' }).catch(() => {})
  await stop()
})
let remoteStore

/** Calls one of the fake server's control routes. */
const control = (route, body) => fakeControl(fake.url, route, body)

/** Runs a task as helper, waits until its session has finished, and checks that it completed. */
async function runTask(task) {
  const id = await runAndWait('helper', task)
  const { session } = await api('sessions.get', { id })
  assert.equal(session.status, 'completed', session.error ?? '')
  return id
}

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? filesUnder(full) : [full]
  })
}

before(async () => {
  await api('keys.delete', { provider: 'anthropic' })
  await api('agents.create', { name: 'helper', provider: 'anthropic', model: 'claude-sonnet-4-5', system_prompt: 'You help.', tools: [] })
  await api('memory.write', { store: 'helper', path: '/memories/_index.md', content: '- notes.md: facts about the user\n' })
  await api('memory.write', { store: 'helper', path: '/memories/notes.md', content: NOTES })
})

// The tests run in order: each starts where the one before left off.
describe('Claude Managed Agents', () => {
  test('Settings: off by default; the key goes to the keychain, the bridge is turned on and the connection checked', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('settings'))
    const section = page.getByRole('region', { name: 'Claude Managed Agents' })
    await section.getByTestId('managed-state').getByText('Nothing is sent to Claude Managed Agents.').waitFor()
    await section.getByTestId('managed-key').getByText(/No Anthropic key yet/).waitFor()
    assert.equal(await section.getByRole('button', { name: 'Check connection' }).count(), 0)

    // The way to the key is one button away, and the caret lands in its field.
    await section.getByRole('button', { name: 'Add it under API keys' }).click()
    await waitForFocus(page, () => document.activeElement?.getAttribute('type'), 'password')
    await page.keyboard.type(KEY)
    await page.keyboard.press('Enter')
    await page.getByRole('status').getByText('Anthropic key saved.').waitFor()
    await section.getByTestId('managed-key').getByText('Uses your Anthropic key ending in …4b2e, from the system keychain.').waitFor()

    await section.getByLabel('Managed Agents agent id (optional)').fill('agent_01reverie')
    await section.getByLabel('Environment id (optional)').fill('env_01reverie')
    await section.getByRole('button', { name: 'Turn on' }).click()
    await section.getByRole('status').getByText(/Claude Managed Agents is on\./).waitFor()
    await section.getByRole('button', { name: 'Check connection' }).click()
    await section.getByRole('status').getByText(`Connected: Claude Managed Agents answered at ${fake.url}.`).waitFor()
    const status = await api('managed.status')
    assert.equal(status.enabled, true)
    assert.equal(status.key.source, 'keychain')
    assert.equal(status.agent_id, 'agent_01reverie')
    assert.equal(status.environment_id, 'env_01reverie')
    assert.doesNotMatch(await page.content(), new RegExp(KEY))
    assert.deepEqual(await seriousViolations(page), [])
    await section.scrollIntoViewIfNeeded()
    await screenshot(page, 'managed-settings')
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })

  test('Memory: push, a change on Claude and one here, pull shows the conflict and nothing is lost', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory?store=helper'))
    const panel = page.getByRole('region', { name: 'Claude Managed Agents' })
    await panel.getByTestId('managed-link').getByText(/Not on Claude yet/).waitFor()
    await panel.getByRole('button', { name: 'Push' }).click()
    await panel.getByText('Created a memory store on Claude. Pushed 2 documents to Claude.').waitFor()
    await panel.getByTestId('managed-link').getByText(/On Claude as memstore_/).waitFor()
    remoteStore = (await api('managed.status')).stores.find((s) => s.store === 'helper').remote_store_id
    assert.deepEqual((await control('managed/state')).stores[remoteStore], { '/_index.md': '- notes.md: facts about the user\n', '/notes.md': NOTES })

    // A teammate changes the document on Claude; it is changed here too, in the editor.
    await control('managed/write', { memory_store_id: remoteStore, path: '/notes.md', content: TEAMMATE })
    await page.getByRole('navigation', { name: 'Documents' }).getByRole('button', { name: /notes\.md/ }).click()
    const editor = page.getByRole('textbox', { name: 'Text of /memories/notes.md' })
    await editor.waitFor()
    await editor.click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type(LOCAL_LINE)
    await page.keyboard.press('Control+s')
    await page.getByRole('status').getByText('Saved as version 2.').waitFor()
    const local = `${NOTES}${LOCAL_LINE}`

    await panel.getByRole('button', { name: 'Pull' }).click()
    await panel
      .getByRole('status')
      .getByText('Pulled nothing; 1 document changed on both sides, so both versions were kept (see the conflicts below).')
      .waitFor()
    const conflicts = panel.getByRole('list', { name: 'Conflicts to look at' })
    const row = conflicts.getByRole('listitem').filter({ hasText: '/memories/notes.md' })
    await row.getByText(/changed here and on Claude; this version stayed here and Claude’s text was kept as \/memories\/notes\.conflict-/).waitFor()

    // Nothing lost: this version at its path, Claude's beside it, Claude's store untouched.
    assert.equal((await api('memory.read', { store: 'helper', path: '/memories/notes.md' })).content, local)
    const [open] = await api('managed.conflicts', { store: 'helper' })
    assert.match(open.conflict_path, /^\/memories\/notes\.conflict-.+\.md$/)
    assert.equal((await api('memory.read', { store: 'helper', path: open.conflict_path })).content, TEAMMATE)
    assert.equal((await control('managed/state')).stores[remoteStore]['/notes.md'], TEAMMATE)

    // From the keyboard: the copy opens with the caret in its text.
    await row.getByRole('button', { name: 'Open Claude’s version' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: open.conflict_path }).waitFor()
    await page.waitForFunction(() => document.activeElement?.classList.contains('cm-content'))
    await page.locator('.cm-content').getByText('A teammate: the user reads on a phone.').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await panel.scrollIntoViewIfNeeded()
    await screenshot(page, 'managed-memory-conflict')

    // Dealt with: marked resolved, the next push carries this version over.
    await row.getByRole('button', { name: 'Mark resolved' }).click()
    await conflicts.waitFor({ state: 'detached' })
    assert.deepEqual(await api('managed.conflicts', { store: 'helper' }), [])
    await panel.getByRole('button', { name: 'Push' }).click()
    await panel.getByRole('status').getByText('Pushed 2 documents to Claude.').waitFor()
    const remote = (await control('managed/state')).stores[remoteStore]
    assert.equal(remote['/notes.md'], local)
    assert.equal(remote[open.conflict_path.replace(/^\/memories/, '')], TEAMMATE)
    assert.deepEqual(ignorable(errors), [])
    await context.close()
  })

  test('Dream on Claude: started, followed, brought back and reviewed as a staged dream (dark)', async () => {
    const sessions = [await runTask('Summarise this report. Keep it short, please.'), await runTask('Answer in two lines at most.')]
    await control('managed/dream_script', {
      // Long enough running to see (and screenshot) it going on: each status read is one step.
      steps: ['running', 'running', 'running'],
      outcome: { kind: 'completed', write: { '/style.md': STYLE } },
      usage: { input_tokens: 1200, output_tokens: 300 },
    })
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('memory?store=helper'))
    const dream = page.getByRole('group', { name: 'Dream on Claude' })
    await dream.getByLabel('Instructions (optional)').fill('Focus on how the user likes answers')
    await dream.getByRole('button', { name: 'Dream on Claude' }).click()
    await dream.getByText('Started on Claude with 2 sessions (2 uploaded now), using claude-sonnet-4-5.').waitFor()
    const card = dream.getByTestId('claude-dream')
    await card.getByText('Dreaming on Claude… You can leave this screen; the dream goes on.').waitFor({ timeout: 15000 })
    assert.equal(await dream.getByRole('button', { name: 'Dream on Claude' }).isDisabled(), true)
    assert.deepEqual(await seriousViolations(page), [])
    await dream.scrollIntoViewIfNeeded()
    await screenshot(page, 'managed-dream-running-dark')

    await card.getByText(/^Finished on Claude\./).waitFor({ timeout: 20000 })
    await card.getByRole('button', { name: 'Bring it back for review' }).click()
    await card.getByText('Brought back for review: 1 proposed change.').waitFor()
    const [record] = await api('managed.dreams')
    assert.ok(record.imported_dream_id, 'the record names the Reverie dream')
    assert.deepEqual([...record.session_ids].sort(), [...sessions].sort())
    await screenshot(page, 'managed-dream-back-dark')

    await card.getByRole('link', { name: 'Review it in Dreams' }).click()
    await page.waitForURL(new RegExp(`#/dreams\\?dream=${record.imported_dream_id}$`))
    const detail = page.getByRole('region', { name: /helper’s dream/ })
    await detail.getByText(`Claude Managed Agents (${record.remote_dream_id})`).waitFor()
    await detail.getByRole('heading', { name: '/memories/style.md' }).waitFor()
    await detail.getByTestId('dream-state').getByText('Waiting for review').waitFor()
    const staged = await api('dreams.get', { id: record.imported_dream_id })
    assert.equal(staged.dream.provider, 'managed-agents')
    assert.equal(staged.dream.status, 'completed')
    assert.equal(staged.dream.review, 'staged')
    assert.deepEqual(staged.edits.map((e) => [e.op, e.path, e.content]), [['create', '/memories/style.md', STYLE]])
    // Nothing changes here until the proposal is accepted.
    assert.equal((await api('memory.list', { store: 'helper' })).some((d) => d.path === '/memories/style.md'), false)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'managed-dream-staged-dark')
    assert.deepEqual(ignorable(errors), [])
    await context.close()

    // The key never reached the data folder.
    for (const file of filesUnder(dataDir)) {
      assert.ok(!readFileSync(file).includes(KEY), `the key was written to ${file}`)
    }
  })
})
