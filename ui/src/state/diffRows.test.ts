import { describe, expect, test } from 'vitest'
import { diffRows, diffStats } from './diffRows'

describe('diffRows', () => {
  test('unchanged lines face each other; a replaced line pairs removed with added', () => {
    const rows = diffRows('a\nb\nc\n', 'a\nB\nc\n')
    expect(rows).toEqual([
      { left: { line: 1, text: 'a', kind: 'same' }, right: { line: 1, text: 'a', kind: 'same' } },
      { left: { line: 2, text: 'b', kind: 'removed' }, right: { line: 2, text: 'B', kind: 'added' } },
      { left: { line: 3, text: 'c', kind: 'same' }, right: { line: 3, text: 'c', kind: 'same' } },
    ])
    expect(diffStats(rows)).toEqual({ added: 1, removed: 1 })
  })

  test('pure additions and deletions leave the other side empty and keep line numbers right', () => {
    const added = diffRows('a\n', 'a\nb\nc\n')
    expect(added.slice(1)).toEqual([
      { left: undefined, right: { line: 2, text: 'b', kind: 'added' } },
      { left: undefined, right: { line: 3, text: 'c', kind: 'added' } },
    ])
    const removed = diffRows('x\ny\nz\n', 'x\nz\n')
    expect(removed[1]).toEqual({ left: { line: 2, text: 'y', kind: 'removed' }, right: undefined })
    expect(removed[2].right).toEqual({ line: 2, text: 'z', kind: 'same' })
  })

  test('a new document is all added; an empty one against empty has no rows', () => {
    expect(diffStats(diffRows('', 'one\ntwo'))).toEqual({ added: 2, removed: 0 })
    expect(diffRows('', '')).toEqual([])
  })

  test('a block replaced by a longer one pairs what it can', () => {
    const rows = diffRows('keep\nold1\nold2\n', 'keep\nnew1\nnew2\nnew3\n')
    expect(rows.map((r) => [r.left?.text, r.right?.text])).toEqual([
      ['keep', 'keep'],
      ['old1', 'new1'],
      ['old2', 'new2'],
      [undefined, 'new3'],
    ])
  })
})
