/**
 * Memory: each agent's long-term memory store, a tree of small documents.
 * Pick a store, open a document from the tree (or from a search), edit it
 * with its history at hand, mirror the store to a folder, and (with the
 * bridge on) sync it with Claude Managed Agents and dream there. The open store
 * and document live in the address (`?store=…&doc=…`, with `&view=blame&version=N`
 * for who wrote each line of a version), so links land on them.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, call, subscribe, type MemoryDocument, type SearchHit } from '../api'
import { CallError } from '../components/CallError'
import { EmptyState } from '../components/EmptyState'
import { Page } from '../components/Page'
import { MemoryIcon } from '../components/icons'
import { DocumentEditor } from '../components/memory/DocumentEditor'
import { DocumentTree, SearchResults } from '../components/memory/DocumentTree'
import { ManagedPanel } from '../components/memory/ManagedPanel'
import { MirrorPanel } from '../components/memory/MirrorPanel'
import { NewDocumentForm } from '../components/memory/NewDocumentForm'
import { PendingDreams } from '../components/memory/PendingDreams'
import { formatSize } from '../state/memoryTree'
import { useAddressState } from '../state/router'
import { useCall } from '../state/useCall'
import { LeaveGuard, UnsavedQuestion } from '../components/LeaveGuard'
import { ExportStore } from '../components/memory/ExportStore'
import { Options } from '../components/Options'
import { ErrorLine } from '../components/NoteLine'
import '../styles/memory.css'

/** What the screen shows: a store, a document in it, who wrote its lines. */
interface Chosen {
  store?: string
  doc?: string
  blame?: { version?: number }
}

/** What the address asks the screen to show; `&view=blame` (and
 * `&version=N`) opens who wrote each line, as the timeline links do. */
function chosenOf(query: URLSearchParams): Chosen {
  const version = Number(query.get('version'))
  const blame = query.get('view') === 'blame' ? { version: Number.isInteger(version) && version > 0 ? version : undefined } : undefined
  return { store: query.get('store') ?? undefined, doc: query.get('doc') ?? undefined, blame }
}

/** The address's query for what the screen shows. */
function queryOf({ store, doc, blame }: Chosen) {
  const query = new URLSearchParams()
  if (store) query.set('store', store)
  if (doc) query.set('doc', doc)
  if (blame) query.set('view', 'blame')
  if (blame?.version) query.set('version', String(blame.version))
  return query
}

/** Where the screen moves: another store, another document, or none (null). */
interface Destination {
  store?: string
  doc?: string | null
}

export function MemoryPage() {
  // What the screen shows is the address (`?store=…&doc=…`), kept in place
  // as it changes, so Back from another screen returns to the open document.
  const [chosen, setChosen] = useAddressState(chosenOf, queryOf)
  const stores = useCall('memory.stores', {})
  const storeName = chosen.store ?? (stores.status === 'ok' ? stores.data[0]?.name : undefined)
  const openPath = chosen.doc

  const [docs, setDocs] = useState<MemoryDocument[]>()
  const [docsError, setDocsError] = useState<ApiError>()
  const [listRefresh, setListRefresh] = useState(0)
  const [outsideChange, setOutsideChange] = useState(0)
  const [mirrorRefresh, setMirrorRefresh] = useState(0)
  const [creating, setCreating] = useState(false)
  const [query, setQuery] = useState('')
  const [found, setFound] = useState<{ query: string; hits: SearchHit[] }>()
  const [deleted, setDeleted] = useState<{ path: string; version: number }>()
  const [created, setCreated] = useState<string>()
  // A document opened from the Managed Agents panel gets the caret, as a new one does.
  const [opened, setOpened] = useState<string>()
  const [actionError, setActionError] = useState<string>()
  const dirty = useRef(false)
  const searchBox = useRef<HTMLInputElement>(null)

  // "/" jumps to the search box from anywhere on the screen that is not a text field.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null
      const typing = target?.closest('input, textarea, select, [contenteditable="true"]')
      if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault()
        searchBox.current?.focus()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])
  // Results for what is typed now; older answers are not shown.
  const hits = found?.query === query ? found.hits : undefined
  const storeId = stores.status === 'ok' ? stores.data.find((s) => s.name === storeName)?.id : undefined

  useEffect(() => {
    if (!storeName) return
    let live = true
    call('memory.list', { store: storeName }).then(
      (list) => {
        if (!live) return
        setDocs(list)
        setDocsError(undefined)
      },
      (e) => live && setDocsError(e instanceof ApiError ? e : new ApiError('engine', String(e), 'memory.list')),
    )
    return () => {
      live = false
    }
  }, [storeName, listRefresh])

  // Search as the person types, a moment after they pause.
  useEffect(() => {
    if (!storeName || !query.trim()) return
    let live = true
    const timer = setTimeout(() => {
      call('memory.search', { store: storeName, query }).then(
        (hits) => live && setFound({ query, hits }),
        () => live && setFound({ query, hits: [] }),
      )
    }, 200)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [storeName, query, listRefresh])

  // A mirror import or an applied dream changes documents under our feet.
  useEffect(
    () =>
      subscribe((event) => {
        const mirrored = event.type === 'mirror' && event.store_id === storeId
        const dreamt = event.type === 'dream_finished' && event.applied === true
        if (mirrored || dreamt) {
          setListRefresh((n) => n + 1)
          setOutsideChange((n) => n + 1)
          if (event.event === 'conflict' || event.event === 'error') setMirrorRefresh((n) => n + 1)
        }
      }),
    [storeId],
  )

  const go = useCallback((next: Destination) => {
    setChosen((now) =>
      next.store !== undefined
        ? { store: next.store }
        : next.doc === undefined || next.doc === now.doc
          ? now
          : { store: now.store, doc: next.doc === null ? undefined : next.doc },
    )
  }, [setChosen])

  // Moving to another document or store with unsaved text asks first; the
  // move (and what follows it) waits for the answer.
  const [pending, setPending] = useState<{ next: Destination; then?: () => void }>()
  const navigate = useCallback(
    (next: Destination, then?: () => void) => {
      if (dirty.current && next.doc !== openPath) {
        setPending({ next, then })
        return
      }
      go(next)
      then?.()
    },
    [openPath, go],
  )

  // The ref answers synchronously inside `navigate`; the state drives the
  // question asked when leaving the screen.
  const [unsaved, setUnsaved] = useState(false)
  const onDirtyChange = useCallback((d: boolean) => {
    dirty.current = d
    setUnsaved(d)
  }, [])

  const create = async (path: string) => {
    if (!storeName) return
    await call('memory.write', { store: storeName, path, content: '', reason: 'created in the app' })
    setCreating(false)
    setCreated(path)
    setListRefresh((n) => n + 1)
    navigate({ doc: path })
  }

  const undoDelete = async () => {
    if (!deleted || !storeName) return
    try {
      await call('memory.restore', { store: storeName, path: deleted.path, version: deleted.version - 1 })
    } catch (e) {
      setActionError(e instanceof ApiError ? e.message : String(e))
      return
    }
    setActionError(undefined)
    setDeleted(undefined)
    setListRefresh((n) => n + 1)
    navigate({ doc: deleted.path })
  }

  const description = 'What your agents remember between sessions, as short documents you can read, edit and restore.'

  if (stores.status === 'loading') return <Page title="Memory" description={description}><p className="muted">Loading memory stores…</p></Page>
  if (stores.status === 'error') return <Page title="Memory" description={description}><CallError error={stores.error} /></Page>
  if (stores.data.length === 0) {
    return (
      <Page title="Memory" description={description}>
        <EmptyState icon={<MemoryIcon />} title="No memory yet">
          <p>
            Every agent gets its own memory store. Create an agent on the Agents screen; once it has worked on a few tasks,
            its notes show up here with the full history of every change.
          </p>
        </EmptyState>
      </Page>
    )
  }

  const store = stores.data.find((s) => s.name === storeName)
  return (
    <Page title="Memory" description={description}>
      <div className="memory-layout">
        <aside className="memory-side" aria-label="Memory store">
          <label className="field">
            <span>Memory store</span>
            <select value={storeName} onChange={(e) => navigate({ store: e.target.value })}>
              <Options choices={stores.data.map((s) => s.name)} />
            </select>
          </label>
          {store && docs && (
            <p className="muted small">
              {docs.length} {docs.length === 1 ? 'document' : 'documents'} ·{' '}
              {formatSize(docs.reduce((sum, d) => sum + d.size, 0))} of {formatSize(store.size_limit_bytes)} used
            </p>
          )}
          {store && <ExportStore key={store.name} store={store.name} />}
          <label className="field search-field">
            <span>Search documents</span>
            <input
              ref={searchBox}
              type="search"
              aria-keyshortcuts="/"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="A word or phrase (press /)"
              onKeyDown={(e) => e.key === 'Escape' && setQuery('')}
            />
          </label>
          {!creating && (
            <button type="button" className="button button-small" onClick={() => setCreating(true)}>
              New document
            </button>
          )}
          {creating && <NewDocumentForm taken={docs?.map((d) => d.path) ?? []} onCreate={create} onCancel={() => setCreating(false)} />}
          {docsError && <CallError error={docsError} />}
          {query.trim() && hits && <SearchResults hits={hits} query={query} onOpen={(doc) => navigate({ doc })} />}
          {!query.trim() && docs && docs.length > 0 && <DocumentTree docs={docs} selected={openPath} onOpen={(doc) => navigate({ doc })} />}
          {!query.trim() && docs && docs.length === 0 && (
            <p className="muted small">This store is empty. Its agent fills it as it works, or add a document yourself.</p>
          )}
        </aside>

        <div className="memory-main">
          {storeId && <PendingDreams storeId={storeId} refresh={listRefresh} />}
          <ErrorLine text={actionError} />
          {deleted && (
            <div className="notice notice-ok undo-bar" role="status">
              <span>Deleted {deleted.path}.</span>
              <button type="button" className="button button-small" onClick={() => void undoDelete()}>
                Undo
              </button>
            </div>
          )}
          {storeName && openPath ? (
            <DocumentEditor
              key={`${storeName}:${openPath}`}
              store={storeName}
              path={openPath}
              outsideChange={outsideChange}
              onChanged={() => setListRefresh((n) => n + 1)}
              onRenamed={(to) => {
                onDirtyChange(false)
                setListRefresh((n) => n + 1)
                navigate({ doc: to })
              }}
              onDeleted={(path, version) => {
                onDirtyChange(false)
                setDeleted({ path, version })
                setListRefresh((n) => n + 1)
                navigate({ doc: null })
              }}
              onDirtyChange={onDirtyChange}
              focusEditor={created === openPath || opened === openPath}
              blame={chosen.blame}
            />
          ) : (
            <div className="memory-placeholder">
              <p className="muted">
                {docs && docs.length > 0 ? 'Open a document from the list to read or edit it.' : 'Nothing to open yet.'}
              </p>
            </div>
          )}
        </div>
      </div>
      {storeName && <MirrorPanel store={storeName} refresh={mirrorRefresh} />}
      {storeName && storeId && (
        <ManagedPanel
          store={storeName}
          storeId={storeId}
          refresh={listRefresh}
          onOpen={(doc) =>
            navigate({ doc }, () => {
              setOpened(doc)
              document.querySelector('.memory-main')?.scrollIntoView?.({ block: 'start' })
            })
          }
          onChanged={() => {
            setListRefresh((n) => n + 1)
            setOutsideChange((n) => n + 1)
          }}
        />
      )}
      <LeaveGuard when={unsaved} what={openPath ?? 'this document'} />
      {pending && (
        <UnsavedQuestion
          what={openPath ?? 'this document'}
          onStay={() => setPending(undefined)}
          onLeave={() => {
            onDirtyChange(false)
            go(pending.next)
            pending.then?.()
            setPending(undefined)
          }}
        />
      )}
    </Page>
  )
}
