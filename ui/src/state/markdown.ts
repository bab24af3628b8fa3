/**
 * Model text as sanitised HTML: parsed by `marked`, then cleaned by
 * DOMPurify (no scripts, styles, forms, frames or remote images; links keep
 * their address as a tooltip). Pure apart from DOMPurify's one hook.
 */
import DOMPurify from 'dompurify'
import { marked } from 'marked'

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
