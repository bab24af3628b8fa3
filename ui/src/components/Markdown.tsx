/**
 * Model text rendered as Markdown (`state/markdown` parses it with `marked`
 * and sanitises it with DOMPurify). Links keep their address as a tooltip
 * but never navigate the app window away. It owns that rendering only.
 */
import { useMemo, type MouseEvent } from 'react'
import { renderMarkdown } from '../state/markdown'

// A link in an answer must not replace the app with a web page.
function keepWindow(event: MouseEvent) {
  if ((event.target as HTMLElement).closest('a')) event.preventDefault()
}

export function Markdown({ text, className = '' }: { text: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text])
  return <div className={`markdown ${className}`.trim()} onClick={keepWindow} dangerouslySetInnerHTML={{ __html: html }} />
}
