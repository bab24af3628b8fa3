import { describe, expect, test } from 'vitest'
import type { MemoryDocument } from '../api'
import { buildTree, documentPath, formatSize, formatWhen, type TreeFolder } from './memoryTree'

const doc = (path: string): MemoryDocument => ({
  id: path,
  store_id: 's',
  path,
  pinned: false,
  version: 1,
  sha256: 'x',
  size: 10,
  author: 'user',
  updated_at: '2026-01-01T00:00:00.000Z',
})

describe('buildTree', () => {
  test('folders first, the index leading its files, nested paths grouped', () => {
    const tree = buildTree(
      ['/memories/zeta.md', '/memories/projects/b.md', '/memories/_index.md', '/memories/alpha.md', '/memories/projects/a/deep.md'].map(doc),
    )
    expect(tree.map((n) => n.name)).toEqual(['projects', '_index.md', 'alpha.md', 'zeta.md'])
    const projects = tree[0] as TreeFolder
    expect(projects.path).toBe('/memories/projects')
    expect(projects.children.map((n) => n.name)).toEqual(['a', 'b.md'])
    expect((projects.children[0] as TreeFolder).children.map((n) => n.name)).toEqual(['deep.md'])
  })

  test('an empty store is an empty tree', () => {
    expect(buildTree([])).toEqual([])
  })
})

describe('documentPath', () => {
  test('adds /memories/ and .md when missing', () => {
    expect(documentPath('notes')).toEqual({ path: '/memories/notes.md' })
    expect(documentPath(' projects/plan ')).toEqual({ path: '/memories/projects/plan.md' })
    expect(documentPath('memories/a.txt')).toEqual({ path: '/memories/a.txt' })
    expect(documentPath('/memories/x.md')).toEqual({ path: '/memories/x.md' })
  })

  test('refuses empty names, folders, escapes and paths outside /memories with a sentence', () => {
    for (const bad of ['', '  ', '/etc/passwd', '../x.md', '/memories/a/../b.md', 'folder/']) {
      const result = documentPath(bad)
      expect(result).toHaveProperty('error')
      expect((result as { error: string }).error).toMatch(/\.$/)
    }
  })
})

test('sizes and times read naturally', () => {
  expect(formatSize(999)).toBe('999 B')
  expect(formatSize(1500)).toBe('1.5 kB')
  expect(formatSize(25_000)).toBe('25 kB')
  expect(formatSize(2_000_000)).toBe('2.0 MB')
  const now = new Date('2026-01-01T12:00:00Z')
  expect(formatWhen('2026-01-01T11:59:50Z', now)).toBe('just now')
  expect(formatWhen('2026-01-01T11:55:00Z', now)).toBe('5 min ago')
  expect(formatWhen('2026-01-01T09:00:00Z', now)).toBe('3 h ago')
  expect(formatWhen('not a time', now)).toBe('not a time')
})
