// The memory store editor in the real UI against `reverie serve`: edit a
// document and restore an old version, a save that meets a change made
// underneath, a long document scrolled with the wheel, search, pin, create,
// rename, delete with undo, the folder mirror, and a keyboard-only walk
// through the editor. axe on every screen,
// light and dark, screenshots into tests/artifacts/ui-e2e.
// Needs target/debug/reverie, target/debug/fake-model-server and ui/dist.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { openPage, screenshot, seriousViolations, startStack, waitForFocus } from './harness.mjs'

const ORIGINAL = '# Notes\n\nThe user writes in British English.\n'
const { dirs, browser, api, at, stop } = await startStack('memory', {
  dirs: ['mirror', 'downloads'],
  env: ({ dirs }) => ({ REVERIE_DOWNLOADS_DIR: dirs.downloads }),
})
after(stop)
const { mirror: mirrorDir, downloads: downloadsDir } = dirs

// The editor's text, line by line (empty lines hold only a <br>).
const editorText = (page) =>
  page.evaluate(() => Array.from(document.querySelectorAll('.cm-content .cm-line'), (l) => l.textContent).join('\n'))

before(async () => {
  await api('agents.create', { name: 'writer', provider: 'anthropic', model: 'claude-sonnet-4-5', system_prompt: 'You write.', tools: ['memory'] })
  await api('memory.write', { store: 'writer', path: '/memories/notes.md', content: ORIGINAL })
  await api('memory.write', { store: 'writer', path: '/memories/_index.md', content: '- notes.md: facts about the user\n' })
  await api('memory.write', { store: 'writer', path: '/memories/projects/plan.md', content: '# Plan\n\nShip the editor.\n' })
})

describe('Memory store editor', () => {
  test('edit a document, then restore an old version from its history', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory'))
    const tree = page.getByRole('navigation', { name: 'Documents' })
    await tree.getByRole('button', { name: /notes\.md/ }).waitFor()
    // Folders group documents; the index leads its folder.
    assert.match(await tree.innerText(), /projects\/[\s\S]*plan\.md[\s\S]*_index\.md[\s\S]*notes\.md/)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'memory-store')

    await tree.getByRole('button', { name: /notes\.md/ }).click()
    const editor = page.getByRole('textbox', { name: 'Text of /memories/notes.md' })
    await editor.waitFor()
    assert.equal(await editorText(page), ORIGINAL)
    // Markdown is highlighted: the heading has its own style.
    assert.ok((await page.locator('.cm-line').first().locator('span').count()) > 0)

    await editor.click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\nPrefers short answers.')
    await page.getByText('Unsaved').waitFor()
    await page.keyboard.press('Control+s')
    await page.getByRole('status').getByText('Saved as version 2.').waitFor()
    const saved = await api('memory.read', { store: 'writer', path: '/memories/notes.md' })
    assert.equal(saved.content, `${ORIGINAL}\nPrefers short answers.`)

    await page.getByRole('button', { name: 'History' }).click()
    const history = page.getByRole('region', { name: 'History' })
    await history.getByText(/Version 2 · Edited by You \(current\)/).waitFor()
    // The version before the current one is chosen, diffed against the text.
    assert.ok(await history.getByLabel(/Version 1 · Created by You/).isChecked())
    const diff = page.getByRole('region', { name: 'Version 1 against the current text' })
    await diff.getByText('Prefers short answers.').waitFor()
    assert.equal(await diff.locator('.diff-added').count(), 2)
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'memory-history-diff')

    await history.getByRole('button', { name: 'Restore version 1' }).click()
    await history.getByText(/Version 3 · Restored by You \(current\)/).waitFor()
    await page.waitForFunction(
      (text) => Array.from(document.querySelectorAll('.cm-content .cm-line'), (l) => l.textContent).join('\n') === text,
      ORIGINAL,
    )
    const versions = await api('memory.history', { store: 'writer', path: '/memories/notes.md' })
    assert.deepEqual(versions.map((v) => v.op), ['create', 'update', 'restore'])
    assert.equal(versions[2].content, ORIGINAL)
    assert.equal(versions[1].content, `${ORIGINAL}\nPrefers short answers.`, 'the edit stays in history')
    await screenshot(page, 'memory-restored')

    // A version holding something sensitive can be erased; it stays listed.
    await history.getByLabel(/Version 2 · Edited by You/).check()
    await history.getByRole('button', { name: 'Redact…' }).click()
    await history.getByRole('alertdialog').getByRole('button', { name: 'Erase version 2' }).click()
    await history.getByText('This version was redacted; its text is gone.').waitFor()
    const redacted = await api('memory.history', { store: 'writer', path: '/memories/notes.md' })
    assert.equal(redacted[1].content, null)
    assert.ok(redacted[1].redacted_at)
    assert.equal(redacted[2].content, ORIGINAL)
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('a long document scrolls inside the editor, with its styles applied under the app\'s security policy', async () => {
    // CodeMirror adds its layout as a <style> element at run time; a policy
    // that refuses it leaves the editor unstyled and a long text unreachable.
    const lines = Array.from({ length: 400 }, (_, i) => `Line ${i + 1}: the user prefers short answers.`)
    await api('memory.write', { store: 'writer', path: '/memories/long.md', content: `${lines.join('\n')}\n` })
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory'))
    await page.getByRole('navigation', { name: 'Documents' }).getByRole('button', { name: /long\.md/ }).click()
    await page.getByRole('textbox', { name: 'Text of /memories/long.md' }).waitFor()
    const layout = await page.evaluate(() => {
      const style = (selector) => getComputedStyle(document.querySelector(selector))
      const scroller = document.querySelector('.cm-scroller')
      return { editor: style('.cm-editor').display, scroller: style('.cm-scroller').overflowY, taller: scroller.scrollHeight > scroller.clientHeight }
    })
    assert.deepEqual(layout, { editor: 'flex', scroller: 'auto', taller: true })
    const last = page.locator('.cm-line', { hasText: 'Line 400:' })
    assert.equal(await last.count(), 0, 'the end is out of view at first')
    // The mouse wheel over the text reaches the end.
    await page.locator('.cm-content').hover()
    for (let i = 0; i < 40 && (await last.count()) === 0; i++) await page.mouse.wheel(0, 2000)
    await last.waitFor()
    assert.ok(await last.isVisible())
    assert.deepEqual(errors, [])
    await context.close()
    // The tests after this one count the store's documents.
    await api('memory.delete', { store: 'writer', path: '/memories/long.md' })
  })

  test('a save that meets a change made underneath shows both and keeps mine on request', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory?store=writer&doc=%2Fmemories%2Fprojects%2Fplan.md'))
    const editor = page.getByRole('textbox', { name: 'Text of /memories/projects/plan.md' })
    await editor.waitFor()
    await editor.click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\nMine: add search.')
    // Someone else (an agent, the folder) writes meanwhile.
    await api('memory.write', { store: 'writer', path: '/memories/projects/plan.md', content: '# Plan\n\nTheirs: ship docs.\n' })
    await page.getByRole('button', { name: 'Save' }).click()
    const conflict = page.getByRole('alert').filter({ hasText: 'changed while you were editing' })
    await conflict.waitFor()
    const both = conflict.getByRole('region', { name: 'Their version against yours' })
    await both.getByText('Theirs: ship docs.').waitFor()
    await both.getByText('Mine: add search.').waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'memory-save-conflict')
    await conflict.getByRole('button', { name: 'Keep mine' }).click()
    await page.getByRole('status').getByText(/Saved as version 3\./).waitFor()
    const versions = await api('memory.history', { store: 'writer', path: '/memories/projects/plan.md' })
    assert.equal(versions.at(-1).content, '# Plan\n\nShip the editor.\n\nMine: add search.')
    assert.equal(versions.at(-2).content, '# Plan\n\nTheirs: ship docs.\n', 'theirs stays in history')
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('search, pin, create, rename, delete with undo, and the folder mirror', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory?store=writer'))
    await page.getByLabel('Search documents').fill('british')
    const results = page.getByRole('navigation', { name: 'Search results' })
    await results.getByText('3: The user writes in British English.').waitFor()
    await screenshot(page, 'memory-search')
    await results.getByRole('button', { name: /notes\.md/ }).click()
    await page.getByRole('textbox', { name: 'Text of /memories/notes.md' }).waitFor()
    await page.getByLabel('Search documents').fill('')

    await page.getByRole('button', { name: 'Pin', exact: true }).click()
    await page.getByRole('button', { name: 'Pinned', exact: true }).waitFor()
    assert.equal((await api('memory.list', { store: 'writer' })).find((d) => d.path === '/memories/notes.md').pinned, true)

    await page.getByRole('button', { name: 'New document' }).click()
    const form = page.getByRole('form', { name: 'New document' })
    await form.getByLabel('Name').fill('notes')
    await form.getByRole('button', { name: 'Create' }).click()
    await form.getByRole('alert').getByText(/already exists/).waitFor()
    await form.getByLabel('Name').fill('style/tone')
    await form.getByRole('button', { name: 'Create' }).click()
    await page.getByRole('heading', { name: '/memories/style/tone.md' }).waitFor()

    await page.getByRole('button', { name: 'Rename' }).click()
    await page.getByLabel('New path').fill('/memories/style/voice.md')
    await page.getByRole('form', { name: 'Rename document' }).getByRole('button', { name: 'Rename' }).click()
    await page.getByRole('heading', { name: '/memories/style/voice.md' }).waitFor()

    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete document' }).click()
    await page.getByText('Deleted /memories/style/voice.md.').waitFor()
    assert.equal((await api('memory.list', { store: 'writer' })).some((d) => d.path === '/memories/style/voice.md'), false)
    await page.getByRole('button', { name: 'Undo' }).click()
    await page.getByRole('heading', { name: '/memories/style/voice.md' }).waitFor()
    assert.equal((await api('memory.list', { store: 'writer' })).some((d) => d.path === '/memories/style/voice.md'), true)

    // The open document is in the address: another screen and Back return to it.
    assert.match(page.url(), /#\/memory\?store=writer&doc=%2Fmemories%2Fstyle%2Fvoice\.md$/)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click()
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor()
    await page.goBack()
    await page.getByRole('heading', { name: '/memories/style/voice.md' }).waitFor()

    const mirror = page.getByRole('region', { name: 'Folder mirror' })
    await mirror.getByRole('status').getByText(/Not mirrored/).waitFor()
    await mirror.getByLabel('Folder').fill(path.join(mirrorDir, 'writer'))
    await mirror.getByRole('button', { name: 'Start mirroring' }).click()
    await mirror.getByRole('status').getByText(/Mirroring to .*writer/).waitFor()
    assert.equal(readFileSync(path.join(mirrorDir, 'writer', 'notes.md'), 'utf8'), ORIGINAL)
    // An edit made in the folder, in any editor, shows up in the open document.
    await page.getByRole('navigation', { name: 'Documents' }).getByRole('button', { name: /notes\.md/ }).click()
    await page.getByRole('textbox', { name: 'Text of /memories/notes.md' }).waitFor()
    writeFileSync(path.join(mirrorDir, 'writer', 'notes.md'), `${ORIGINAL}Edited in another editor.\n`)
    await page.locator('.cm-content').getByText('Edited in another editor.').waitFor({ timeout: 15000 })
    await page.getByText(/Folder edit · /).waitFor()
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'memory-mirror')
    await mirror.getByRole('button', { name: 'Stop mirroring' }).click()
    await mirror.getByRole('status').getByText(/Not mirrored/).waitFor()
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('keyboard only: create a document, write and save it, open another from the tree', async () => {
    const { page, context, errors } = await openPage(browser, { colorScheme: 'dark' })
    await page.goto(at('memory?store=writer'))
    await page.getByRole('navigation', { name: 'Documents' }).waitFor()
    const focused = () => page.evaluate(() => {
      const el = document.activeElement
      return `${el?.tagName}|${el?.getAttribute('aria-label') ?? ''}|${el?.textContent?.trim().slice(0, 40) ?? ''}`
    })
    // Tab until focus reaches what we look for, as a keyboard user would.
    const tabTo = async (pattern, max = 40) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab')
        if (pattern.test(await focused())) return
      }
      throw new Error(`Tab never reached ${pattern}; focus is on ${await focused()}`)
    }
    await tabTo(/^BUTTON\|\|New document$/)
    await page.keyboard.press('Enter')
    await page.keyboard.type('keyboard')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: '/memories/keyboard.md' }).waitFor()
    // The new document's editor has the caret.
    await page.waitForFunction(() => document.activeElement?.classList.contains('cm-content'))
    await page.keyboard.type('# Typed without a mouse')
    await page.keyboard.press('Control+s')
    await page.getByRole('status').getByText(/Saved as version 2\./).waitFor()
    assert.equal((await api('memory.read', { store: 'writer', path: '/memories/keyboard.md' })).content, '# Typed without a mouse')
    // Tab leaves the editor (it does not indent).
    await page.keyboard.press('Tab')
    assert.doesNotMatch(await focused(), /cm-content|Text of/)

    // Back to the tree, arrow down to notes.md, Enter opens it.
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('Shift+Tab')
    await tabTo(/^BUTTON\|\|_index\.md/)
    await page.keyboard.press('ArrowDown')
    assert.match(await focused(), /keyboard\.md/)
    await page.keyboard.press('ArrowDown')
    assert.match(await focused(), /notes\.md/)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: '/memories/notes.md' }).waitFor()
    // "/" jumps to search; Escape clears it.
    await page.keyboard.press('/')
    assert.match(await focused(), /^INPUT\|/)
    await page.keyboard.type('typed without')
    await page.getByRole('navigation', { name: 'Search results' }).getByText('1: # Typed without a mouse').waitFor()
    await page.keyboard.press('Escape')
    await page.getByRole('navigation', { name: 'Documents' }).waitFor()
    // The toolbar and History are reachable, and a version can be chosen with the arrows.
    await tabTo(/^BUTTON\|\|History$/)
    await page.keyboard.press('Enter')
    await page.getByRole('region', { name: 'History' }).getByText(/Version 1/).first().waitFor()
    await tabTo(/^INPUT\|/)
    await page.keyboard.press('ArrowUp')
    assert.ok(await page.getByRole('region', { name: 'History' }).getByRole('radio').first().isChecked())
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'memory-keyboard-dark')
    assert.deepEqual(errors, [])
    await context.close()
  })

  test('unsaved text: opening another document asks first; Stay keeps it, Leave opens the other', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory?store=writer'))
    const tree = page.getByRole('navigation', { name: 'Documents' })
    await tree.getByRole('button', { name: /notes\.md/ }).click()
    const editor = page.getByRole('textbox', { name: 'Text of /memories/notes.md' })
    await editor.click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\nNot saved yet.')
    await page.getByText('Unsaved').waitFor()

    // The question is the app's own, with the safe answer focused.
    await tree.getByRole('button', { name: /plan\.md/ }).click()
    const question = page.getByRole('alertdialog', { name: 'Leave without saving?' })
    await question.getByText('Your changes to /memories/notes.md are not saved yet.', { exact: false }).waitFor()
    await waitForFocus(page, () => document.activeElement?.textContent, 'Stay')
    assert.deepEqual(await seriousViolations(page), [])
    await screenshot(page, 'memory-unsaved-question')
    // Escape stays: the text is still there and still unsaved.
    await page.keyboard.press('Escape')
    await question.waitFor({ state: 'detached' })
    await editor.waitFor()
    assert.match(await editorText(page), /Not saved yet\./)

    // Leave: the other document opens and the typed text is dropped, not saved.
    await tree.getByRole('button', { name: /plan\.md/ }).click()
    await question.getByRole('button', { name: 'Leave without saving' }).click()
    await page.getByRole('heading', { name: /plan\.md$/ }).waitFor()
    assert.doesNotMatch((await api('memory.read', { store: 'writer', path: '/memories/notes.md' })).content, /Not saved yet/)
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })

  test('export the store as a zip into Downloads, never over an earlier export', async () => {
    const { page, context, errors } = await openPage(browser)
    await page.goto(at('memory?store=writer'))
    const side = page.getByRole('complementary', { name: 'Memory store' })
    await side.getByRole('button', { name: 'Export as zip' }).click()
    const first = path.join(downloadsDir, 'writer-memory.zip')
    await side.getByRole('status').getByText(`to ${first}.`, { exact: false }).waitFor()
    await side.getByRole('button', { name: 'Export as zip' }).click()
    await side.getByRole('status').getByText(`to ${path.join(downloadsDir, 'writer-memory (2).zip')}.`, { exact: false }).waitFor()
    assert.ok(existsSync(first))
    // A zip: it starts with the local file header.
    assert.equal(readFileSync(first).subarray(0, 4).toString('hex'), '504b0304')
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), [])
    await context.close()
  })
})
