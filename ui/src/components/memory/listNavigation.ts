/** Up/Down arrows move focus among a list's buttons matching `selector` (the tree, search results, dreams). */
import type { KeyboardEvent } from 'react'

export function arrowFocus(selector: string) {
  return (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
    const items = Array.from(event.currentTarget.querySelectorAll<HTMLElement>(selector))
    const at = items.indexOf(document.activeElement as HTMLElement)
    if (at < 0) return
    event.preventDefault()
    items[event.key === 'ArrowDown' ? Math.min(at + 1, items.length - 1) : Math.max(at - 1, 0)]?.focus()
  }
}
