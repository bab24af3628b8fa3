/**
 * Model text rendered as Markdown: parsed by `marked`, then sanitised by
 * DOMPurify (no scripts, styles, forms, frames or remote images; links keep
 * their address as a tooltip but never navigate the app window away). It
 * owns that rendering only.
 */
import DOMPurify from 'dompurify'
import { marked } from 'marked'
import { useMemo, type MouseEvent } from 'react'

const FORBID_TAGS = ['img', 'style', 'script', 'iframe', 'form', 'input', 'button', 'textarea', 'select', 'object', 'embed', 'link', 'meta', 'svg', 'math']

let hooked = false
function hookOnce() {
  if (hooked) return
  hooked = true
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? ''
      node.setAttribute('title', href)
      node.setAttribute('rel', 'noreferrer noopener')
    }
  })
}

/** Markdown to sanitised HTML. */
export function renderMarkdown(text: string): string {
  hookOnce()
  const html = marked.parse(text, { async: false, gfm: true }) as string
  return DOMPurify.sanitize(html, { FORBID_TAGS, FORBID_ATTR: ['style', 'class', 'id'] })
}

// A link in an answer must not replace the app with a web page.
function keepWindow(event: MouseEvent) {
  if ((event.target as HTMLElement).closest('a')) event.preventDefault()
}

export function Markdown({ text, className = '' }: { text: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text])
  return <div className={`markdown ${className}`.trim()} onClick={keepWindow} dangerouslySetInnerHTML={{ __html: html }} />
}
