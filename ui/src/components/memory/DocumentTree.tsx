/**
 * The store's documents as a folder tree (or, while a search is typed, the
 * matching documents with their lines). Arrow keys move between documents;
 * Enter opens one. It only reports choices; the page loads the document.
 */
import type { MemoryDocument, SearchHit } from '../../api'
import { buildTree, formatSize, type TreeNode } from '../../state/memoryTree'
import { arrowFocus } from './listNavigation'

interface DocumentTreeProps {
  docs: MemoryDocument[]
  selected?: string
  onOpen: (path: string) => void
}

const moveFocus = arrowFocus('button[data-doc]')

function Nodes({ nodes, selected, onOpen }: { nodes: TreeNode[]; selected?: string; onOpen: (p: string) => void }) {
  return (
    <ul className="doc-tree-list">
      {nodes.map((node) =>
        node.kind === 'folder' ? (
          <li key={node.path} className="doc-folder">
            <span className="doc-folder-name">{node.name}/</span>
            <Nodes nodes={node.children} selected={selected} onOpen={onOpen} />
          </li>
        ) : (
          <li key={node.doc.path}>
            <button
              type="button"
              data-doc={node.doc.path}
              className="doc-item"
              aria-current={selected === node.doc.path ? 'true' : undefined}
              onClick={() => onOpen(node.doc.path)}
              title={node.doc.path}
            >
              <span className="doc-name">{node.name}</span>
              {node.doc.pinned && (
                <span className="doc-pin" aria-label="pinned" title="Pinned">
                  ●
                </span>
              )}
              <span className="doc-size">{formatSize(node.doc.size)}</span>
            </button>
          </li>
        ),
      )}
    </ul>
  )
}

export function DocumentTree({ docs, selected, onOpen }: DocumentTreeProps) {
  return (
    <nav className="doc-tree" aria-label="Documents" onKeyDown={moveFocus}>
      <Nodes nodes={buildTree(docs)} selected={selected} onOpen={onOpen} />
    </nav>
  )
}

export function SearchResults({ hits, query, onOpen }: { hits: SearchHit[]; query: string; onOpen: (p: string) => void }) {
  if (hits.length === 0) {
    return (
      <p className="muted small search-none" role="status">
        No document mentions “{query}”.
      </p>
    )
  }
  return (
    <nav className="doc-tree" aria-label="Search results" onKeyDown={moveFocus}>
      <p className="visually-hidden" role="status">
        {hits.length} {hits.length === 1 ? 'document matches' : 'documents match'}
      </p>
      <ul className="doc-tree-list">
        {hits.map((hit) => (
          <li key={hit.path}>
            <button type="button" data-doc={hit.path} className="doc-item doc-hit" onClick={() => onOpen(hit.path)}>
              <span className="doc-name">{hit.path.replace(/^\/memories\//, '')}</span>
              {hit.matches.slice(0, 2).map((m) => (
                <span key={m.line} className="doc-hit-line">
                  {m.line}: {m.text}
                </span>
              ))}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  )
}
