/**
 * A CodeMirror 6 editor for one Markdown document, as a React component.
 * The editor owns the text while a person types; the parent gets every
 * change through `onChange` and may replace the text by passing a new
 * `value` (a reload). Tab is left to the browser so keyboard users can move
 * on; Ctrl/⌘+S calls `onSave`. It never talks to the engine.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands'
import { markdown } from '@codemirror/lang-markdown'
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search'
import { EditorState } from '@codemirror/state'
import { drawSelection, EditorView, highlightActiveLine, keymap, placeholder } from '@codemirror/view'
import { tags } from '@lezer/highlight'
import { useEffect, useLayoutEffect, useRef } from 'react'

/** Markdown colours from the theme's variables, so light and dark both read well. */
const markdownStyle = HighlightStyle.define([
  { tag: tags.heading, fontWeight: '650', color: 'var(--md-heading)' },
  { tag: tags.strong, fontWeight: '650' },
  { tag: tags.emphasis, fontStyle: 'italic' },
  { tag: tags.link, color: 'var(--md-link)', textDecoration: 'underline' },
  { tag: tags.url, color: 'var(--md-link)' },
  { tag: tags.monospace, fontFamily: 'var(--font-mono)', color: 'var(--md-code)' },
  { tag: [tags.list, tags.quote], color: 'var(--md-mark)' },
  { tag: tags.processingInstruction, color: 'var(--md-mark)' },
])

const theme = EditorView.theme({
  '&': { color: 'var(--text)', backgroundColor: 'var(--surface)', height: '100%' },
  '.cm-content': { fontFamily: 'var(--font-mono)', fontSize: 'var(--text-md)', lineHeight: '1.6', caretColor: 'var(--text)' },
  '.cm-scroller': { overflow: 'auto' },
  '&.cm-focused': { outline: 'none' },
  '.cm-activeLine': { backgroundColor: 'var(--hover)' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: 'var(--selected) !important' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '.cm-placeholder': { color: 'var(--text-faint)' },
  '.cm-panels': { backgroundColor: 'var(--bg-sidebar)', color: 'var(--text)' },
})

interface CodeEditorProps {
  value: string
  onChange: (text: string) => void
  onSave?: () => void
  /** The accessible name of the text area. */
  label: string
  readOnly?: boolean
  describedBy?: string
  /** Put the caret in the editor when it opens (a document just created). */
  autoFocus?: boolean
}

export function CodeEditor({ value, onChange, onSave, label, readOnly = false, describedBy, autoFocus = false }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  // The latest callbacks, read by the editor without rebuilding it.
  const handlers = useRef({ onChange, onSave })
  useLayoutEffect(() => {
    handlers.current = { onChange, onSave }
  })

  useEffect(() => {
    const attrs: Record<string, string> = { 'aria-label': label }
    if (describedBy) attrs['aria-describedby'] = describedBy
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          drawSelection(),
          highlightActiveLine(),
          search({ top: true }),
          highlightSelectionMatches(),
          keymap.of([
            {
              key: 'Mod-s',
              preventDefault: true,
              run: () => {
                handlers.current.onSave?.()
                return true
              },
            },
            ...searchKeymap,
            ...historyKeymap,
            ...defaultKeymap,
          ]),
          markdown(),
          syntaxHighlighting(markdownStyle),
          EditorView.lineWrapping,
          placeholder('Write in Markdown…'),
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of(attrs),
          theme,
          EditorView.updateListener.of((update) => {
            if (update.docChanged) handlers.current.onChange(update.state.doc.toString())
          }),
        ],
      }),
    })
    view.current = editor
    if (autoFocus) editor.focus()
    return () => {
      editor.destroy()
      view.current = null
    }
    // The editor is built once per label/mode; text changes flow through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [label, readOnly, describedBy])

  useEffect(() => {
    const editor = view.current
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } })
    }
  }, [value])

  return <div ref={host} className="code-editor" data-testid="code-editor" />
}
