/**
 * Dreams: review passes that propose changes to an agent's memory. Start one
 * now (cost shown first), follow it live, review its proposal change by
 * change, apply or revert it, and read the diary of what dreams learned. The
 * open dream, the tab and the agent shown live in the address.
 */
import { useCallback, useEffect, useState, type KeyboardEvent } from 'react'
import { ApiError, call, subscribe, type DreamListItem } from '../api'
import { CallError } from '../components/CallError'
import { EmptyState } from '../components/EmptyState'
import { Page } from '../components/Page'
import { DreamsIcon } from '../components/icons'
import { DreamDetail } from '../components/dreams/DreamDetail'
import { DreamDiary } from '../components/dreams/DreamDiary'
import { DreamList } from '../components/dreams/DreamList'
import { DreamNow } from '../components/dreams/DreamNow'
import { OvernightCard } from '../components/dreams/OvernightCard'
import { useAddressState } from '../state/router'
import { useCall } from '../state/useCall'
import { Options } from '../components/Options'
import '../styles/memory.css'
import '../styles/dreams.css'

type Tab = 'review' | 'diary'
type DreamsView = { tab: Tab; dream?: string; agent?: string }

/** What the address asks the screen to show. */
function viewOf(query: URLSearchParams): DreamsView {
  return {
    tab: query.get('tab') === 'diary' ? 'diary' : 'review',
    dream: query.get('dream') ?? undefined,
    agent: query.get('agent') ?? undefined,
  }
}

/** The address's query for what the screen shows. */
function queryOf({ tab, dream, agent }: DreamsView) {
  const query = new URLSearchParams()
  if (tab === 'diary') query.set('tab', 'diary')
  if (dream) query.set('dream', dream)
  if (agent) query.set('agent', agent)
  return query
}

export function DreamsPage() {
  // What the screen shows is the address (`?dream=…`, `?tab=diary`,
  // `?agent=…`), kept in place as it changes, so Back from a source session
  // returns to the open dream.
  const [view, setView] = useAddressState(viewOf, queryOf)
  const agents = useCall('agents.list', {})
  const [items, setItems] = useState<DreamListItem[]>()
  const [listError, setListError] = useState<ApiError>()
  const [refresh, setRefresh] = useState(0)
  const filter = view.agent ?? ''
  const setFilter = (agent: string) => setView((now) => ({ ...now, agent: agent || undefined }))
  const { tab, dream: selected } = view

  useEffect(() => {
    let live = true
    call('dreams.list', filter ? { agent: filter } : {}).then(
      (list) => {
        if (!live) return
        setItems(list)
        setListError(undefined)
      },
      (e) => live && setListError(e instanceof ApiError ? e : new ApiError('engine', String(e), 'dreams.list')),
    )
    return () => {
      live = false
    }
  }, [refresh, filter])

  // Dreams started elsewhere (the tray, the schedule) show up as they move.
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'dream_started' || event.type === 'dream_finished') setRefresh((n) => n + 1)
      }),
    [],
  )

  const open = useCallback((id: string) => setView((now) => ({ ...now, tab: 'review', dream: id })), [setView])
  const setTab = (next: Tab) => setView((now) => ({ ...now, tab: next }))

  const onTabKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault()
      const next = tab === 'review' ? 'diary' : 'review'
      setTab(next)
      requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus())
    }
  }

  const description =
    "While you are away, Reverie reviews recent sessions and proposes how each agent's memory should change. Nothing changes until you accept it."

  if (agents.status === 'loading') return <Page title="Dreams" description={description}><p className="muted">Loading…</p></Page>
  if (agents.status === 'error') return <Page title="Dreams" description={description}><CallError error={agents.error} /></Page>
  if (agents.data.length === 0) {
    return (
      <Page title="Dreams" description={description}>
        <EmptyState icon={<DreamsIcon />} title="No dreams yet">
          <p>
            A dream needs an agent and sessions to learn from. Create an agent on the Agents screen and run a few tasks; its
            dreams and their proposed changes then wait here for you to accept or reject.
          </p>
        </EmptyState>
      </Page>
    )
  }

  return (
    <Page title="Dreams" description={description}>
      {items && <OvernightCard items={items} onOpen={open} />}
      <DreamNow
        agents={agents.data}
        onStarted={(id) => {
          setRefresh((n) => n + 1)
          open(id)
        }}
        onFinished={() => setRefresh((n) => n + 1)}
      />

      <div className="tabs" role="tablist" aria-label="Dreams views">
        <button type="button" role="tab" id="tab-review" className="tab" aria-selected={tab === 'review'} aria-controls="panel-review" tabIndex={tab === 'review' ? 0 : -1} onClick={() => setTab('review')} onKeyDown={onTabKey}>
          Review
        </button>
        <button type="button" role="tab" id="tab-diary" className="tab" aria-selected={tab === 'diary'} aria-controls="panel-diary" tabIndex={tab === 'diary' ? 0 : -1} onClick={() => setTab('diary')} onKeyDown={onTabKey}>
          Diary
        </button>
      </div>

      {listError && <CallError error={listError} />}

      {tab === 'review' && (
        <div role="tabpanel" id="panel-review" aria-labelledby="tab-review">
          <label className="field filter-field">
            <span>Show dreams of</span>
            <select value={filter} onChange={(e) => setFilter(e.target.value)}>
              <option value="">All agents</option>
              <Options choices={agents.data.map((a) => a.name)} />
            </select>
          </label>
          {items && items.length === 0 && (
            <EmptyState icon={<DreamsIcon />} title="No dreams yet">
              <p>Start one above with Dream now, or let the nightly schedule run. Each dream’s proposal waits here for your review.</p>
            </EmptyState>
          )}
          {items && items.length > 0 && (
            <div className="dreams-layout">
              <DreamList items={items} selected={selected} onOpen={(id) => open(id)} />
              <div className="dreams-main">
                {selected ? (
                  <DreamDetail key={selected} id={selected} refresh={refresh} onChanged={() => setRefresh((n) => n + 1)} />
                ) : (
                  <p className="muted memory-placeholder">Open a dream from the list to review what it proposes.</p>
                )}
              </div>
            </div>
          )}
        </div>
      )}

      {tab === 'diary' && (
        <div role="tabpanel" id="panel-diary" aria-labelledby="tab-diary">
          {items && <DreamDiary items={items} onOpen={open} />}
        </div>
      )}
    </Page>
  )
}
