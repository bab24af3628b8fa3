/**
 * A side-by-side line diff of two texts, as rows for a two-column table:
 * unchanged lines face each other, removed lines sit on the left, added ones
 * on the right, paired where a block was replaced. Pure; built on `diff`.
 */
import { diffLines } from 'diff'

export interface DiffCell {
  /** 1-based line number in its own text. */
  line: number
  text: string
  kind: 'same' | 'removed' | 'added'
}

export interface DiffRow {
  left?: DiffCell
  right?: DiffCell
}

function lines(value: string): string[] {
  const parts = value.split('\n')
  if (parts[parts.length - 1] === '') parts.pop()
  return parts
}

export function diffRows(before: string, after: string): DiffRow[] {
  const rows: DiffRow[] = []
  let l = 0
  let r = 0
  let removed: string[] = []
  const flushRemoved = (added: string[]) => {
    const n = Math.max(removed.length, added.length)
    for (let i = 0; i < n; i++) {
      rows.push({
        left: i < removed.length ? { line: ++l, text: removed[i], kind: 'removed' } : undefined,
        right: i < added.length ? { line: ++r, text: added[i], kind: 'added' } : undefined,
      })
    }
    removed = []
  }
  for (const change of diffLines(before, after)) {
    const text = lines(change.value)
    if (change.removed) {
      removed.push(...text)
    } else if (change.added) {
      flushRemoved(text)
    } else {
      flushRemoved([])
      for (const t of text) rows.push({ left: { line: ++l, text: t, kind: 'same' }, right: { line: ++r, text: t, kind: 'same' } })
    }
  }
  flushRemoved([])
  return rows
}

/** How many lines were added and removed, for a one-line summary. */
export function diffStats(rows: DiffRow[]): { added: number; removed: number } {
  let added = 0
  let removed = 0
  for (const row of rows) {
    if (row.left?.kind === 'removed') removed++
    if (row.right?.kind === 'added') added++
  }
  return { added, removed }
}
