// The rubric builder in the real UI against `reverie serve` and the fake
// model server: build a rubric criterion by criterion (a judged one, a regex
// with its live tester, a word limit), reorder with the keyboard, see the
// engine's validation at the field it names, try the draft on a past
// session's output (the grader is the fake model) and see each verdict,
// save, export, import and export again byte for byte. Then the same
// builder driven by the keyboard alone. Needs target/debug/reverie,
// target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack } from './harness.mjs'

const ANSWER = '## Summary\nThe 14:02 deploy broke checkout. Total: 37 tickets.\n\n## Findings\nPayments timed out for 40 minutes.\n'
const { dataDir, browser, api, at, runTask, stop } = await startStack('rubrics', {
  script: {
    rules: [
      {
        // The grader judges the one judged criterion: index 1 once the word
        // limit has been moved to the top.
        when: { system_contains: 'strict, fair grader' },
        reply: {
          content: [
            {
              type: 'tool_use',
              id: 'toolu_grade',
              name: 'record_verdicts',
              input: {
                applies: true,
                explanation: 'The summary names the cause in its first sentence.',
                verdicts: [
                  { criterion_index: 1, passed: true, score: 1, evidence: 'The 14:02 deploy broke checkout.', gap: null },
                ],
              },
            },
          ],
        },
      },
    ],
    fallback: { text: ANSWER },
  },
})
after(stop)
let sessionId

before(async () => {
  await api('agents.create', {
    name: 'writer',
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    system_prompt: 'You write incident summaries.',
    tools: [],
  })
  sessionId = await runTask('writer', 'Summarise last night’s incident.')
  assert.equal((await api('sessions.get', { id: sessionId })).session.final_answer, ANSWER)
})

const criterionNames = (page) =>
  page.getByTestId('criterion').evaluateAll((cards) => cards.map((c) => c.querySelector('.criterion-name input').value))
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement
    return { text: el?.textContent ?? '', label: el?.getAttribute('aria-label') ?? '', tag: el?.tagName, value: el?.value }
  })
async function tabTo(page, pattern, { back = false } = {}) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    const f = await focused(page)
    const name = await page.evaluate(() => {
      const el = document.activeElement
      const labelled = el?.labels?.[0]?.textContent ?? ''
      return `${el?.getAttribute('aria-label') ?? ''}|${labelled}|${el?.tagName === 'BUTTON' ? el.textContent : ''}`
    })
    if (pattern.test(name)) return f
  }
  throw new Error(`Tab never reached ${pattern}`)
}
/** Keyboard reorder with dnd-kit: Space picks up, arrows move, Space drops. */
async function keyboardMove(page, key, times) {
  await page.keyboard.press('Space')
  await page.waitForTimeout(120)
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(key)
    // dnd-kit animates each step; the next one measures from where it ends.
    await page.waitForTimeout(350)
  }
  await page.keyboard.press('Space')
  await page.waitForTimeout(250)
}

/**
 * Mouse reorder: press on a card's handle and move in small steps until the
 * card's middle is over the other card's middle (where dnd-kit's
 * closest-centre rule swaps them), then release.
 */
async function mouseDrag(page, card, onto) {
  await card.locator('.drag-handle').scrollIntoViewIfNeeded()
  const handle = card.locator('.drag-handle')
  const from = await handle.boundingBox()
  const cardBox = await card.boundingBox()
  const ontoBox = await onto.boundingBox()
  const x = from.x + from.width / 2
  const y = from.y + from.height / 2
  const shift = ontoBox.y + ontoBox.height / 2 - (cardBox.y + cardBox.height / 2)
  await page.mouse.move(x, y)
  await page.mouse.down()
  await page.mouse.move(x, y + Math.sign(shift) * 8, { steps: 4 })
  await page.mouse.move(x, y + shift, { steps: 24 })
  await page.waitForTimeout(250)
  await page.mouse.up()
  await page.waitForTimeout(300)
}

describe('Rubric builder', () => {
  test('build a rubric, try it on a past output, save, export and import it back exactly', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('rubrics'))
    // The starters are there as examples.
    await page.getByRole('list', { name: 'Saved rubrics' }).getByText('Report with a short summary').waitFor()
    await page.getByRole('button', { name: 'New rubric' }).click()
    const editor = page.getByRole('region', { name: /New rubric/ })
    await editor.waitFor()
    // Nothing is called wrong before anything is typed; after the first
    // edit, an unnamed rubric says which field to fix, in words.
    await page.waitForTimeout(600)
    assert.equal(await editor.getByText('give the rubric a name').count(), 0)
    assert.equal(await editor.getByText('Not ready to save').count(), 0)
    await editor.getByLabel('Description').fill('A summary an on-call engineer can act on.')
    await editor.getByText('give the rubric a name').first().waitFor()
    assert.doesNotMatch(await editor.innerText(), /line \d+, column \d+|of the JSON/)
    await editor.getByLabel('Name', { exact: true }).fill('Incident summary')

    const cards = page.getByTestId('criterion')
    await cards.nth(0).getByLabel(/Name of criterion/).fill('Names the root cause')
    await cards.nth(0).getByLabel('What the grader checks').fill('The first sentence says what caused the incident.')
    await cards.nth(0).getByLabel('Weight').fill('2')

    await editor.getByRole('button', { name: 'Add criterion' }).click()
    await cards.nth(1).getByLabel(/Name of criterion/).fill('Counts the tickets')
    await cards.nth(1).getByLabel('Kind').selectOption('regex')
    // A pattern the engine's regex cannot compile is marked at the field.
    await cards.nth(1).getByLabel('Pattern').fill('Total: (\\d+')
    await cards.nth(1).locator('.field-error').filter({ hasText: 'not a valid regular expression' }).first().waitFor()
    assert.equal(await cards.nth(1).getByLabel('Pattern').getAttribute('aria-invalid'), 'true')
    await cards.nth(1).getByLabel('Pattern').fill('total: \\d+')
    await cards.nth(1).getByLabel(/Ignore case/).check()
    await cards.nth(1).getByLabel('Try it on sample text').fill('Total: 37 tickets, total: 2 pages')
    const matches = cards.nth(1).getByLabel(/^Matches of/)
    await matches.getByText('2 matches').waitFor()
    assert.deepEqual(await matches.locator('mark').allInnerTexts(), ['Total: 37', 'total: 2'])

    await editor.getByRole('button', { name: 'Add criterion' }).click()
    await cards.nth(2).getByLabel(/Name of criterion/).fill('Short summary')
    await cards.nth(2).getByLabel('Kind').selectOption('length')
    await cards.nth(2).getByLabel('At most').fill('50')
    await cards.nth(2).getByLabel(/Only in the section/).fill('Summary')
    await cards.nth(2).getByLabel('Required').check()

    // Attempts out of range: the engine's sentence under the field.
    await editor.getByLabel(/Attempts/).fill('25')
    await editor.locator('.field-error').getByText('max_iterations must be between 1 and 20, not 25').waitFor()
    await editor.getByLabel(/Attempts/).fill('3')
    await editor.getByText('The rubric is valid.').waitFor()

    // Keyboard reorder: the word limit moves from third to first.
    await cards.nth(2).getByRole('button', { name: /Reorder Short summary/ }).focus()
    await keyboardMove(page, 'ArrowUp', 2)
    assert.deepEqual(await criterionNames(page), ['Short summary', 'Names the root cause', 'Counts the tickets'])
    // Mouse reorder, by the handle: the last card up one, then back (in a
    // window tall enough to hold both cards, as the mouse cannot leave it).
    const viewport = page.viewportSize()
    await page.setViewportSize({ width: viewport.width, height: 1400 })
    await mouseDrag(page, cards.nth(2), cards.nth(1))
    assert.deepEqual(await criterionNames(page), ['Short summary', 'Counts the tickets', 'Names the root cause'])
    await mouseDrag(page, cards.nth(2), cards.nth(1))
    assert.deepEqual(await criterionNames(page), ['Short summary', 'Names the root cause', 'Counts the tickets'])
    await page.setViewportSize(viewport)
    // In a window too short for both, holding the card at the top edge
    // scrolls the page up towards the first card, and it drops there.
    const handle = cards.nth(2).locator('.drag-handle')
    await handle.scrollIntoViewIfNeeded()
    const start = await handle.boundingBox()
    const dragged = await cards.nth(2).boundingBox()
    const x = start.x + start.width / 2
    // From the pointer to the dragged card's middle, which must end on the first card's middle.
    const toMiddle = dragged.y + dragged.height / 2 - (start.y + start.height / 2)
    await page.mouse.move(x, start.y + start.height / 2)
    await page.mouse.down()
    await page.mouse.move(x, start.y + start.height / 2 - 8, { steps: 4 })
    // Near the edge, not on it: the nearer, the faster it scrolls.
    await page.mouse.move(x, 60, { steps: 20 })
    // The content pane scrolls (not the window): held near the edge, it
    // scrolls up until the first card is in reach; leaving the edge stops it.
    const firstMiddle = () => cards.nth(0).evaluate((card) => (card.getBoundingClientRect().top + card.getBoundingClientRect().bottom) / 2)
    for (let i = 0; i < 100 && (await firstMiddle()) - toMiddle < 60; i++) await page.waitForTimeout(50)
    await page.mouse.move(x, 390)
    const target = (await firstMiddle()) - toMiddle
    assert.ok(target > 0 && target < 770, `holding at the top edge scrolls the first card into reach (the pointer goes to ${target})`)
    await page.mouse.move(x, target, { steps: 10 })
    await page.waitForTimeout(250)
    await page.mouse.up()
    await page.waitForTimeout(300)
    // It was dropped higher up (where exactly depends on the scroll's speed).
    const moved = (await criterionNames(page)).indexOf('Counts the tickets')
    assert.ok(moved < 2, `the card moved up: ${await criterionNames(page)}`)
    await cards.nth(moved).getByRole('button', { name: /Reorder Counts the tickets/ }).focus()
    await keyboardMove(page, 'ArrowDown', 2 - moved)
    assert.deepEqual(await criterionNames(page), ['Short summary', 'Names the root cause', 'Counts the tickets'])
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'rubric-builder')

    // Try the draft on the writer's session: every criterion's verdict.
    await editor.getByLabel('Session').selectOption(sessionId)
    await editor.getByRole('button', { name: 'Try rubric' }).click()
    const grade = page.getByTestId('grade')
    await grade.waitFor({ timeout: 15000 })
    assert.match(await grade.locator('.grade-headline').innerText(), /Passes, with a score of 100%/)
    const rows = await grade.locator('tbody tr').allInnerTexts()
    assert.equal(rows.length, 3)
    assert.match(rows[0], /Short summary\s+Pass/)
    assert.match(rows[1], /Names the root cause\s+Pass\s+100%\s+The 14:02 deploy broke checkout\./)
    assert.match(rows[2], /Counts the tickets\s+Pass/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'rubric-tried')

    // Nothing was stored by trying; saving stores it.
    assert.equal((await api('rubrics.list')).filter((r) => r.name === 'incident-summary').length, 0)
    await editor.getByRole('button', { name: 'Save rubric' }).click()
    await page.getByText(/Saved “Incident summary” as incident-summary \(version 1\)/).waitFor()
    await page.getByRole('list', { name: 'Saved rubrics' }).getByText('Incident summary').waitFor()
    const stored = await api('rubrics.get', { name: 'incident-summary' })
    const doc = JSON.parse(stored.document)
    assert.deepEqual(doc.criteria.map((c) => c.kind.type), ['length', 'judged', 'regex'])
    assert.deepEqual(doc.criteria[2].kind, { type: 'regex', pattern: 'total: \\d+', must_match: true, flags: 'i' })
    assert.equal(doc.criteria[0].required, true)
    assert.equal(doc.criteria[1].weight, 2)

    // Export gives the stored document byte for byte ...
    const exportOnce = async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('.rubric-editor').getByRole('button', { name: 'Export JSON' }).click(),
      ])
      return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') }
    }
    const first = await exportOnce()
    assert.equal(first.name, 'incident-summary.rubric.json')
    assert.equal(first.text, stored.document)
    // ... and a hand-formatted file imported and exported unedited comes
    // back exactly as it was.
    const handmade = path.join(dataDir, 'handmade.json')
    const handText = JSON.stringify(doc, null, 4).replace('"weight": 2', '"weight": 2.0') + '\n'
    writeFileSync(handmade, handText)
    await page.getByLabel('Rubric file to import').setInputFiles(handmade)
    await page.getByRole('region', { name: 'New rubric' }).waitFor()
    assert.deepEqual(await criterionNames(page), ['Short summary', 'Names the root cause', 'Counts the tickets'])
    const second = await exportOnce()
    assert.equal(second.text, handText)
    // A file that is not a rubric gets one sentence.
    const junk = path.join(dataDir, 'junk.json')
    writeFileSync(junk, '[1, 2')
    await page.getByLabel('Rubric file to import').setInputFiles(junk)
    await page.getByRole('alert').filter({ hasText: 'This file is not JSON' }).waitFor()
    // Deleting asks once, in place.
    await page.getByRole('button', { name: 'Edit Incident summary' }).click()
    await page.getByRole('button', { name: 'Delete…' }).click()
    const confirm = page.getByRole('group', { name: 'Confirm delete' })
    await confirm.getByRole('button', { name: 'Keep it' }).click()
    assert.equal(await confirm.count(), 0)
    await page.getByRole('button', { name: 'Delete…' }).click()
    await confirm.getByRole('button', { name: 'Delete rubric' }).click()
    await page.getByRole('button', { name: 'Edit Incident summary' }).waitFor({ state: 'detached' })
    assert.equal((await api('rubrics.list')).some((r) => r.name === 'incident-summary'), false)
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('keyboard only: a starter opened, a criterion added and moved, saved; dark mode', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('rubrics'))
    await page.getByRole('list', { name: 'Saved rubrics' }).waitFor()
    await tabTo(page, /Edit Valid Python script/)
    await page.keyboard.press('Enter')
    await page.getByRole('region', { name: /Edit “Valid Python script/ }).waitFor()
    const before = await criterionNames(page)
    // To "Add criterion", then name the new card (the last one).
    await tabTo(page, /\|Add criterion$/)
    await page.keyboard.press('Enter')
    await tabTo(page, /Name of criterion 1\b/, { back: true })
    const count = before.length + 1
    await tabTo(page, new RegExp(`Name of criterion ${count}\\b`))
    await page.keyboard.type('Has a docstring')
    // The kind: the next field after its Remove button.
    await tabTo(page, /\|Kind/)
    await page.keyboard.press('ArrowDown')
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="criterion"]')[n - 1].querySelector('select').value === 'regex', count)
    await tabTo(page, /\|Pattern/)
    await page.keyboard.type('"""')
    // Back to its handle and up one place.
    await tabTo(page, /Reorder Has a docstring/, { back: true })
    await keyboardMove(page, 'ArrowUp', 1)
    const after = await criterionNames(page)
    assert.deepEqual(after, [...before.slice(0, -1), 'Has a docstring', before.at(-1)])
    await tabTo(page, /\|Save rubric$/)
    await page.keyboard.press('Enter')
    await page.getByText(/\(version 2\)/).waitFor()
    const saved = JSON.parse((await api('rubrics.get', { name: 'python-script' })).document)
    assert.equal(saved.criteria.at(-2).name, 'Has a docstring')
    assert.equal(saved.criteria.at(-2).kind.pattern, '"""')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'rubric-keyboard-dark')
    assert.deepEqual(errors, [])
    await context.close()
  })
})
