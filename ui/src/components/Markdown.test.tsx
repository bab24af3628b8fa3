// Answers render as Markdown, and nothing in them can run or load.
import { render, waitFor } from '@testing-library/react'
import { describe, expect, test } from 'vitest'
import { renderMarkdown } from '../state/markdown'
import { Markdown } from './Markdown'

describe('Markdown', () => {
  test('headings, lists, emphasis and code render as elements', async () => {
    const { container } = render(<Markdown text={'# Plan\n\n- **one**\n- `two`\n\n```\nx = 1\n```'} />)
    await waitFor(() => expect(container.querySelector('h1')).toHaveTextContent('Plan'))
    expect(container.querySelectorAll('li')).toHaveLength(2)
    expect(container.querySelector('strong')).toHaveTextContent('one')
    expect(container.querySelector('pre code')).toHaveTextContent('x = 1')
  })

  test('scripts, event handlers, styles and images are removed', () => {
    const html = renderMarkdown(
      '<script>alert(1)</script><img src="http://x/p.png" onerror="alert(2)"><p style="color:red" onclick="alert(3)">hi</p>\n\n[link](javascript:alert(4)) and [docs](https://example.org)',
    )
    expect(html).not.toMatch(/<script|onerror|onclick|style=|<img|href="javascript:/i)
    expect(html).toContain('hi')
    expect(html).toContain('href="https://example.org"')
  })
})
