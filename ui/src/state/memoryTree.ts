/**
 * The memory editor's pure helpers: a store's flat document paths as a folder
 * tree, and short human labels for sizes, times and authors. It never calls
 * the engine.
 */
import type { AuthorKind, MemoryDocument } from '../api'

export interface TreeFolder {
  kind: 'folder'
  name: string
  /** The folder's path, e.g. `/memories/projects`. */
  path: string
  children: TreeNode[]
}

export interface TreeFile {
  kind: 'file'
  name: string
  doc: MemoryDocument
}

export type TreeNode = TreeFolder | TreeFile

const ROOT = '/memories'

/** Folders first, then files, each by name; `_index.md` leads its folder's files. */
function sortNodes(nodes: TreeNode[]): TreeNode[] {
  const rank = (n: TreeNode) => (n.kind === 'folder' ? 0 : n.name === '_index.md' ? 1 : 2)
  return nodes
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
    .map((n) => (n.kind === 'folder' ? { ...n, children: sortNodes(n.children) } : n))
}

/** Builds the tree under `/memories` from a flat list of documents. */
export function buildTree(docs: MemoryDocument[]): TreeNode[] {
  const root: TreeFolder = { kind: 'folder', name: '', path: ROOT, children: [] }
  for (const doc of docs) {
    const rel = doc.path.startsWith(`${ROOT}/`) ? doc.path.slice(ROOT.length + 1) : doc.path.replace(/^\/+/, '')
    const parts = rel.split('/').filter(Boolean)
    let folder = root
    for (const part of parts.slice(0, -1)) {
      let next = folder.children.find((c): c is TreeFolder => c.kind === 'folder' && c.name === part)
      if (!next) {
        next = { kind: 'folder', name: part, path: `${folder.path}/${part}`, children: [] }
        folder.children.push(next)
      }
      folder = next
    }
    folder.children.push({ kind: 'file', name: parts[parts.length - 1] ?? doc.path, doc })
  }
  return sortNodes(root.children)
}

/**
 * Normalises what a person typed as a document path: adds `/memories/` and
 * `.md` when missing. Returns an error sentence for what the engine would refuse.
 */
export function documentPath(input: string): { path: string } | { error: string } {
  let p = input.trim().replace(/\\/g, '/')
  if (!p) return { error: 'Give the document a name, like notes.md or projects/plan.md.' }
  if (!p.startsWith('/')) p = p.startsWith('memories/') ? `/${p}` : `${ROOT}/${p}`
  if (!p.startsWith(`${ROOT}/`)) return { error: 'Documents live under /memories/; use a path like /memories/notes.md.' }
  if (p.split('/').some((seg) => seg === '..' || seg === '.'))
    return { error: 'A path cannot contain "." or ".." folders; name the document plainly.' }
  if (p.endsWith('/')) return { error: 'That is a folder; add a file name, like notes.md.' }
  if (!/\.[A-Za-z0-9]+$/.test(p.split('/').pop() ?? '')) p = `${p}.md`
  return { path: p }
}

export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} kB`
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}

export const AUTHOR_LABEL: Record<AuthorKind, string> = {
  user: 'You',
  agent: 'Agent',
  dream: 'Dream',
  external: 'Folder edit',
}

/** "just now", "5 min ago", "3 h ago", else the date and time, for a UTC RFC 3339 stamp. */
export function formatWhen(iso: string, now: Date = new Date()): string {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000)
  if (seconds < 45) return 'just now'
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`
  return at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}
