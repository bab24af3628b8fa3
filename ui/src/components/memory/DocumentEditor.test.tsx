// The document editor against a loopback bridge: a save carries the sha256 the
// editor started from; when the engine answers "conflict", both texts are shown
// and "Keep mine" saves over the newer version with its sha256.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { EditorView } from '@codemirror/view'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { DocumentEditor } from './DocumentEditor'

let bridge: BridgeServer

// jsdom lays nothing out; CodeMirror measures text ranges, so give it empty boxes.
const emptyRects = () => Object.assign([], { item: () => null }) as unknown as DOMRectList
Range.prototype.getClientRects ??= emptyRects
Range.prototype.getBoundingClientRect ??= () => new DOMRect()

const docAt = (version: number, sha256: string, author = 'user') => ({
  id: 'd1',
  store_id: 's1',
  path: '/memories/notes.md',
  pinned: false,
  version,
  sha256,
  size: 10,
  author,
  updated_at: '2026-01-01T00:00:00Z',
})

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

function typeInto(text: string) {
  const view = EditorView.findFromDOM(document.querySelector('.cm-editor') as HTMLElement)!
  view.dispatch({ changes: { from: view.state.doc.length, insert: text } })
}

function renderEditor() {
  const onChanged = vi.fn()
  render(
    <DocumentEditor
      store="writer"
      path="/memories/notes.md"
      outsideChange={0}
      onChanged={onChanged}
      onRenamed={() => {}}
      onDeleted={() => {}}
      onDirtyChange={() => {}}
    />,
  )
  return { onChanged }
}

describe('DocumentEditor', () => {
  test('saves with the sha256 it started from', async () => {
    bridge.answers.set('memory.read', { body: { document: docAt(1, 'sha-1'), content: 'Hello' } })
    bridge.answers.set('memory.write', { body: { seq: 2, sha256: 'sha-2', size: 11 } })
    const { onChanged } = renderEditor()
    await screen.findByRole('textbox', { name: 'Text of /memories/notes.md' })
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled()
    typeInto(' world')
    await screen.findByText('Unsaved')
    await userEvent.setup().click(screen.getByRole('button', { name: 'Save' }))
    await screen.findByText('Saved as version 2.')
    expect(bridge.calls.find((c) => c.method === 'memory.write')?.params).toEqual({
      store: 'writer',
      path: '/memories/notes.md',
      content: 'Hello world',
      expected_sha256: 'sha-1',
    })
    expect(onChanged).toHaveBeenCalled()
    expect(screen.queryByText('Unsaved')).not.toBeInTheDocument()
  })

  test('a conflict shows theirs against mine; Keep mine saves over their version', async () => {
    let reads = 0
    bridge.answers.set('memory.read', () => {
      reads++
      return reads === 1
        ? { body: { document: docAt(1, 'sha-1'), content: 'Base' } }
        : { body: { document: docAt(2, 'sha-theirs', 'agent'), content: 'Base\nTheirs' } }
    })
    bridge.answers.set('memory.write', (params) =>
      (params as { expected_sha256: string }).expected_sha256 === 'sha-1'
        ? { status: 409, body: { error: { kind: 'conflict', message: 'the document changed' } } }
        : { body: { seq: 3, sha256: 'sha-3', size: 9 } },
    )
    renderEditor()
    await screen.findByRole('textbox', { name: 'Text of /memories/notes.md' })
    typeInto('\nMine')
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Save' }))
    const conflict = await screen.findByRole('alert')
    expect(conflict).toHaveTextContent('This document changed while you were editing')
    expect(conflict).toHaveTextContent('Version 2 was saved')
    expect(conflict).toHaveTextContent('by an agent.')
    const diff = within(conflict).getByRole('region', { name: 'Their version against yours' })
    expect(diff).toHaveTextContent('Theirs')
    expect(diff).toHaveTextContent('Mine')
    await user.click(within(conflict).getByRole('button', { name: 'Keep mine' }))
    await screen.findByText('Saved as version 3.')
    const writes = bridge.calls.filter((c) => c.method === 'memory.write').map((c) => c.params as Record<string, string>)
    expect(writes.map((w) => w.expected_sha256)).toEqual(['sha-1', 'sha-theirs'])
    expect(writes[1].content).toBe('Base\nMine')
  })

  test('a secret is refused with the reason; Save anyway saves only after the user confirms', async () => {
    bridge.answers.set('memory.read', { body: { document: docAt(1, 'sha-1'), content: 'Deploy notes' } })
    bridge.answers.set('memory.write', (params) =>
      (params as { allow_secret?: boolean }).allow_secret
        ? { body: { seq: 2, sha256: 'sha-2', size: 40 } }
        : {
            status: 400,
            body: { error: { kind: 'secret', message: '/memories/notes.md was not saved: it holds what looks like a password.' } },
          },
    )
    renderEditor()
    await screen.findByRole('textbox', { name: 'Text of /memories/notes.md' })
    typeInto('\nDB_PASSWORD=Sup3rS3cret!')
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Save' }))
    const warning = await screen.findByRole('alert')
    expect(warning).toHaveTextContent('This looks like a password or a key')
    expect(warning).toHaveTextContent('it holds what looks like a password')
    expect(screen.queryByText(/Saved as version/)).not.toBeInTheDocument()
    // Keep editing closes the question and saves nothing.
    await user.click(within(warning).getByRole('button', { name: 'Keep editing' }))
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await user.click(within(await screen.findByRole('alert')).getByRole('button', { name: 'Save anyway' }))
    await screen.findByText('Saved as version 2.')
    const writes = bridge.calls.filter((c) => c.method === 'memory.write').map((c) => c.params as Record<string, unknown>)
    expect(writes.map((w) => w.allow_secret ?? false)).toEqual([false, false, true])
  })

  test('Load theirs keeps my draft on screen to copy from', async () => {
    let reads = 0
    bridge.answers.set('memory.read', () => {
      reads++
      return reads === 1
        ? { body: { document: docAt(1, 'sha-1'), content: 'Base' } }
        : { body: { document: docAt(2, 'sha-theirs'), content: 'Theirs' } }
    })
    bridge.answers.set('memory.write', { status: 409, body: { error: { kind: 'conflict', message: 'changed' } } })
    renderEditor()
    await screen.findByRole('textbox', { name: 'Text of /memories/notes.md' })
    typeInto(' and mine')
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await user.click(await screen.findByRole('button', { name: 'Load theirs' }))
    expect(screen.getByRole('textbox', { name: 'Your earlier draft (not saved)' })).toHaveValue('Base and mine')
    expect(document.querySelector('.cm-content')).toHaveTextContent('Theirs')
    expect(screen.queryByText('Unsaved')).not.toBeInTheDocument()
  })
})
