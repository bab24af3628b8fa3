// The agent editor and the Settings additions in the real UI, against
// `reverie serve` and the fake model server: create an agent from a
// template, open it and edit its model, instructions, default rubric, dream
// policy and schedule (a bad schedule gets the engine's sentence), attach a
// shared memory store read-write, make it read-only and detach it, add a
// subagent; every change is checked through the engine's own API. Then
// Settings pauses and resumes the dream schedule, shows the next dream per
// agent, saves dream defaults and copies the data folder's path; last, a
// keyboard-only walk through the Agents screen ends by deleting the agent.
// Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const { dataDir, bridge, ui, browser, api, at, stop } = await startStack('agents')
after(stop)

before(async () => {
  // What the editor attaches and delegates to: a shared store and a second agent.
  await api('memory.create_store', { name: 'team-notes', description: 'What the team knows' })
  await api('agents.create', { name: 'fact-checker', provider: 'anthropic', model: 'claude-haiku-4-5' })
})

const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement
    return `${el?.tagName.toLowerCase()}:${(el?.getAttribute('aria-label') || el?.textContent || '').trim()}`
  })

describe('Agent editor and Settings', () => {
  test('create an agent, then edit its model, prompt, rubric, dreams, stores and roster', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('agents'))
    await page.getByRole('button', { name: 'New agent' }).click()
    const dialog = page.getByRole('dialog', { name: 'New agent' })
    await dialog.getByLabel('Writer').check()
    await dialog.getByRole('button', { name: 'Create agent' }).click()
    const list = page.getByRole('list', { name: 'Agents' })
    await list.getByRole('link', { name: 'Writer' }).click()

    await page.getByRole('heading', { level: 1, name: 'Writer' }).waitFor()
    const editor = page.getByRole('form', { name: 'Edit Writer' })
    await page.getByTestId('dirty-state').getByText('All changes saved').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agent-editor')

    // Model: a known one shows its price.
    const model = editor.getByRole('combobox', { name: 'Model' })
    await model.fill('claude-haiku-4-5')
    await editor.getByTestId('model-price').getByText(/in, .* out per million tokens\./).waitFor()
    await editor.getByRole('textbox', { name: 'Instructions' }).fill('You write short, friendly release notes.')
    const rubrics = await api('rubrics.list')
    assert.ok(rubrics.length > 0, 'the starter rubrics are there to pick')
    // Rubrics are offered by the names people gave them, not stored slugs.
    await editor.getByRole('combobox', { name: 'Default rubric' }).selectOption({ label: JSON.parse(rubrics[0].document).name })
    await editor.getByRole('radio', { name: /Apply automatically/ }).check()
    await editor.getByRole('checkbox', { name: /Workspace/ }).uncheck()
    await page.getByTestId('dirty-state').getByText('Unsaved changes').waitFor()

    // Leaving for another screen with unsaved changes asks first; Stay keeps
    // the draft where it was.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click()
    const leave = page.getByRole('alertdialog', { name: 'Leave without saving?' })
    await leave.getByText('Your changes to Writer are not saved yet.').waitFor()
    await screenshot(page, 'agent-editor-leave-unsaved')
    await leave.getByRole('button', { name: 'Stay' }).click()
    await leave.waitFor({ state: 'detached' })
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Writer')
    assert.equal(
      await editor.getByRole('textbox', { name: 'Instructions' }).inputValue(),
      'You write short, friendly release notes.',
    )
    // The browser's Back is held the same way: Stay keeps the address and
    // the draft; nothing moved underneath.
    const editorAddress = page.url()
    await page.goBack()
    await leave.getByText('Your changes to Writer are not saved yet.').waitFor()
    await leave.getByRole('button', { name: 'Stay' }).click()
    await leave.waitFor({ state: 'detached' })
    assert.equal(page.url(), editorAddress)
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Writer')
    assert.equal(
      await editor.getByRole('textbox', { name: 'Instructions' }).inputValue(),
      'You write short, friendly release notes.',
    )

    // A schedule the engine cannot read says what to type, as it is typed.
    // A plain time picker; cron only under Advanced.
    const schedule = editor.getByRole('group', { name: 'Dream schedule' })
    await schedule.getByText('Advanced: a custom schedule').click()
    const custom = schedule.getByRole('textbox', { name: 'Custom schedule (cron)' })
    await custom.fill('every night')
    await editor.getByTestId('schedule-hint').getByText(/is not a dream schedule; use a local time like 03:00/).waitFor()
    assert.equal(await custom.getAttribute('aria-invalid'), 'true')
    await screenshot(page, 'agent-editor-bad-schedule')
    // Saving it anyway: the engine refuses, nothing is saved, the draft stays.
    await page.keyboard.press('Control+s')
    const refusal = page.getByRole('alert').filter({ hasText: 'not a dream schedule' })
    await refusal.waitFor()
    assert.equal((await api('agents.get', { name: 'Writer' })).model, 'claude-sonnet-4-5')

    await custom.fill('')
    await schedule.getByRole('checkbox', { name: 'Dream every night at' }).check()
    await schedule.getByLabel('Dream schedule: time').fill('03:30')
    await editor.getByTestId('schedule-hint').getByText(/^Next dream: .*03:30( AM)?\.$/).waitFor()
    await page.keyboard.press('Control+s')
    await page.getByTestId('save-note').getByText('Saved Writer.').waitFor()
    await page.getByTestId('dirty-state').getByText('All changes saved').waitFor()
    const saved = await api('agents.get', { name: 'Writer' })
    assert.equal(saved.model, 'claude-haiku-4-5')
    assert.equal(saved.system_prompt, 'You write short, friendly release notes.')
    assert.equal(saved.default_rubric_id, rubrics[0].id)
    assert.equal(saved.dream_policy, 'auto')
    assert.equal(saved.dream_schedule, '03:30')
    assert.deepEqual(saved.tools, ['memory'])

    // Memory stores: attach the shared one read-write, make it read-only, detach it.
    const attach = page.getByRole('form', { name: 'Attach a memory store' })
    await attach.getByRole('combobox', { name: 'Attach a store' }).selectOption('team-notes')
    await attach.getByRole('combobox', { name: 'Access' }).selectOption('read_write')
    await attach.getByRole('button', { name: 'Attach' }).click()
    const stores = page.getByRole('list', { name: 'Attached memory stores' })
    await stores.getByRole('link', { name: 'team-notes' }).waitFor()
    let agent = await api('agents.get', { name: 'Writer' })
    assert.deepEqual(
      agent.stores.map((s) => [s.store_name, s.access]),
      [
        ['Writer', 'read_write'],
        ['team-notes', 'read_write'],
      ],
    )
    await stores.scrollIntoViewIfNeeded()
    await page.getByRole('combobox', { name: 'Access to team-notes' }).selectOption('read_only')
    await page.getByRole('status').getByText('team-notes is now read only.').waitFor()
    agent = await api('agents.get', { name: 'Writer' })
    assert.equal(agent.stores[1].access, 'read_only')
    // The own store has no detach button: it stays.
    assert.equal(await page.getByRole('button', { name: 'Detach Writer' }).count(), 0)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agent-editor-stores')
    await page.getByRole('button', { name: 'Detach team-notes' }).click()
    await page.getByRole('status').getByText(/Detached team-notes/).waitFor()
    agent = await api('agents.get', { name: 'Writer' })
    assert.deepEqual(agent.stores.map((s) => s.store_name), ['Writer'])

    // Roster: fact-checker becomes a subagent.
    await page.getByTestId('roster-empty').waitFor()
    const add = page.getByRole('form', { name: 'Add a subagent' })
    await add.getByRole('combobox', { name: 'Add a subagent' }).selectOption('fact-checker')
    await add.getByRole('button', { name: 'Add' }).click()
    await page.getByRole('list', { name: 'Subagents' }).getByRole('link', { name: 'fact-checker' }).waitFor()
    assert.deepEqual((await api('agents.roster', { name: 'Writer' })).map((a) => a.name), ['fact-checker'])
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agent-editor-roster')

    // The edits survive a reload.
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Writer' }).waitFor()
    assert.equal(await page.getByRole('combobox', { name: 'Model' }).inputValue(), 'claude-haiku-4-5')
    assert.ok(await page.getByRole('radio', { name: /Apply automatically/ }).isChecked())
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('the editor in dark mode has no serious accessibility violations', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('agents/Writer'))
    await page.getByRole('heading', { level: 1, name: 'Writer' }).waitFor()
    await page.getByRole('list', { name: 'Subagents' }).waitFor()
    await page.getByRole('button', { name: 'Delete Writer…' }).click()
    await page.getByRole('alertdialog').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agent-editor-delete-confirm-dark')
    await page.goto(at('agents/nobody'))
    await page.getByText('There is no agent named “nobody”').waitFor()
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('Settings pauses and resumes dreams, shows the next dream, saves defaults, copies the data path', async () => {
    const { page, context, errors } = await openPage(browser)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ui.url })
    await page.goto(at('settings'))
    const state = page.getByTestId('schedule-state')
    await state.getByText(/Scheduled dreams are on/).waitFor()
    const table = page.getByRole('table', { name: 'Next dream per agent' })
    const writer = table.getByRole('row', { name: /Writer/ })
    assert.match(await writer.innerText(), /Every day at 03:30/)
    assert.match(await writer.innerText(), /(Tonight|Today|Tomorrow) at 03:30/)
    assert.match(await table.getByRole('row', { name: /fact-checker/ }).innerText(), /No schedule/)
    assert.deepEqual(await seriousViolations(page), [])
    await page.getByRole('heading', { level: 2, name: 'Dreams' }).scrollIntoViewIfNeeded()
    await page.evaluate(() => document.getElementById('dreams-title')?.scrollIntoView({ block: 'start' }))
    await screenshot(page, 'settings-dreams')

    await page.getByRole('button', { name: 'Pause schedule' }).click()
    await state.getByText('Scheduled dreams are paused.').waitFor()
    assert.equal((await api('dreams.schedule_status')).paused, true)
    assert.match(await writer.innerText(), /Paused/)
    await screenshot(page, 'settings-dreams-paused')
    await page.getByRole('button', { name: 'Resume schedule' }).click()
    await state.getByText(/Scheduled dreams are on/).waitFor()
    assert.equal((await api('dreams.schedule_status')).paused, false)

    // Dream defaults: a budget that is not a number says what to type.
    const budget = page.getByRole('textbox', { name: 'Budget per dream' })
    await budget.fill('lots')
    await page.getByText('Type a whole number of tokens, like 150000.').waitFor()
    assert.ok(await page.getByRole('button', { name: 'Save dream defaults' }).isDisabled())
    await budget.fill('60,000')
    // Money beside tokens, at the default model's price.
    await page.getByText(/^60,000 tokens \(about \$[\d.]+ per call with claude-sonnet-4-5\)/).waitFor()
    // Nothing saved yet: new agents dream nightly at 03:00, as onboarding promises.
    const defaults = page.getByRole('group', { name: 'Schedule for new agents' })
    assert.ok(await defaults.getByRole('checkbox', { name: 'Dream every night at' }).isChecked())
    assert.equal(await defaults.getByLabel('Schedule for new agents: time').inputValue(), '03:00')
    await defaults.getByLabel('Schedule for new agents: time').fill('02:15')
    await page.getByRole('button', { name: 'Save dream defaults' }).click()
    await page.getByRole('status').getByText('Dream defaults saved.').waitFor()
    assert.equal(await api('settings.get', { key: 'dream.budget_tokens' }), '60000')
    assert.equal(await api('settings.get', { key: 'dream.default_schedule' }), '02:15')

    // Providers and default models.
    const providers = page.getByRole('form', { name: 'Providers and default models' })
    await providers.getByRole('combobox', { name: 'Default Anthropic model' }).fill('claude-opus-4-5')
    await providers.getByRole('button', { name: 'Save providers and models' }).click()
    await providers.getByRole('status').getByText('Providers and default models saved.').waitFor()
    assert.equal(await api('settings.get', { key: 'defaults.model.anthropic' }), 'claude-opus-4-5')

    // The data folder, copied.
    assert.equal(await page.getByTestId('data-folder').innerText(), dataDir)
    await page.getByRole('button', { name: 'Copy path' }).click()
    await page.getByRole('status').getByText('Path copied.').waitFor()
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), dataDir)
    assert.deepEqual(await seriousViolations(page), [])
    await page.evaluate(() => document.getElementById('providers-title')?.scrollIntoView({ block: 'start' }))
    await screenshot(page, 'settings-providers')
    await page.evaluate(() => document.getElementById('engine-title')?.scrollIntoView({ block: 'end' }))
    await screenshot(page, 'settings-data-folder')

    // A new agent made in the app starts with the default schedule.
    await page.goto(at('agents'))
    await page.getByRole('button', { name: 'New agent' }).click()
    const dialog = page.getByRole('dialog', { name: 'New agent' })
    await dialog.getByLabel('Coder').check()
    await dialog.getByRole('button', { name: 'Create agent' }).click()
    await page.getByRole('list', { name: 'Agents' }).getByRole('link', { name: 'Coder' }).waitFor()
    await page.waitForFunction(
      async (bridgeUrl) => {
        const r = await fetch(`${bridgeUrl}/api/agents.get`, { method: 'POST', body: '{"name":"Coder"}', headers: { 'content-type': 'application/json' }, credentials: 'include' })
        return (await r.json()).dream_schedule === '02:15'
      },
      bridge.url,
      { timeout: 5000 },
    )
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('a keyboard-only walk through the Agents screen, ending with a delete', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('agents'))
    await page.getByRole('list', { name: 'Agents' }).waitFor()
    // Skip link, then into the content.
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'a:Skip to content')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'button:New agent')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'a:Coder')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'button:Run a task with Coder')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'a:Writer')
    await page.keyboard.press('Enter')

    // The editor: its heading takes focus (and keeps it while the agent
    // loads); Tab walks the fields in reading order.
    await page.getByRole('heading', { level: 1, name: 'Writer' }).waitFor()
    await page.getByRole('form', { name: 'Edit Writer' }).waitFor()
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'a:← All agents')
    await page.keyboard.press('Tab')
    assert.equal(await focused(page), 'button:Run a task')
    await page.keyboard.press('Tab')
    assert.match(await focused(page), /^select:/)
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('list') !== null), true)
    // Type a change and save with Ctrl+S, no mouse.
    await page.keyboard.press('Tab')
    await page.keyboard.press('End')
    await page.keyboard.type(' Keep it under 100 words.')
    await page.keyboard.press('Control+s')
    await page.getByTestId('save-note').getByText('Saved Writer.').waitFor()
    assert.match((await api('agents.get', { name: 'Writer' })).system_prompt, /Keep it under 100 words\.$/)

    // Delete: the confirmation takes focus on Cancel; Escape closes it and focus returns.
    const remove = page.getByRole('button', { name: 'Delete Writer…' })
    await remove.focus()
    await page.keyboard.press('Enter')
    await page.getByRole('alertdialog').waitFor()
    assert.equal(await focused(page), 'button:Cancel')
    await page.keyboard.press('Escape')
    await page.waitForFunction(() => document.activeElement?.textContent === 'Delete Writer…')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Shift+Tab')
    assert.equal(await focused(page), 'button:Delete Writer')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor()
    await page.getByRole('list', { name: 'Agents' }).getByRole('link', { name: 'Coder' }).waitFor()
    assert.equal(await page.getByRole('link', { name: 'Writer' }).count(), 0)
    const names = (await api('agents.list')).map((a) => a.name)
    assert.deepEqual(names, ['Coder', 'fact-checker'])
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'agents-after-delete')
    assert.deepEqual(errors, [])
    await context.close()
  })
})
