/**
 * One session as a timeline (`/sessions/:id`): its facts, filters by kind
 * and by thread, the subagent lanes, every event in time order (virtualised
 * and paged from the engine, so 50,000 events open at once), jumping between
 * errors, and export as JSON or OpenTelemetry spans.
 *
 * Keyboard: ↑/↓ (or j/k) move between events, Enter opens one, n / Shift+N
 * jump to the next / previous error, Home/End go to the first / last event.
 * It owns the view's state; the one-line wording and the paging bookkeeping
 * live in `state/timeline`.
 */
import { sessionBadge } from '../state/sessionBadge'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { Link } from 'wouter'
import { useLocationState, useParams } from '../state/router'
import { ApiError, call, type SessionDetail, type TimelineMarks, type TimelinePage } from '../api'
import { download } from '../state/download'
import { callOrTake } from '../state/prefetch'
import { useCall } from '../state/useCall'
import {
  KIND_GROUPS,
  PageCache,
  PAGE_SIZE,
  buildLanes,
  durationOf,
  firstLine,
  firstPageParams,
  formatCost,
  formatMs,
  formatTokens,
  kindsFor,
  nextError,
  resultLabel,
} from '../state/timeline'
import { formatLabel, importedLabel } from '../state/imports'
import { CallError } from '../components/CallError'
import { Page } from '../components/Page'
import { TimelineRow } from '../components/sessions/TimelineRow'
import { UseAsCheck } from '../components/evals/UseAsCheck'
import '../styles/timeline.css'

/** The first page of the unfiltered view, asked for alongside the session. */
type FirstPage = { id: string; promise: Promise<TimelinePage> }

/** Height of a closed row, in px (`.tl-row-main` plus its border). */
const ROW = 34
const rowSize = () => ROW

export function SessionTimelinePage() {
  const { id = '' } = useParams()
  // Asked at once, in parallel with `sessions.get`: the rows are what matter.
  const [first] = useState<FirstPage>(() => ({
    id,
    promise: callOrTake('sessions.page', firstPageParams(id)),
  }))
  first.promise.catch(() => {})
  const detail = useCall('sessions.get', { id })
  // Arrived from a dream's proposal: the way back leads there.
  const state = useLocationState() as { back?: string; backLabel?: string } | null
  const back = typeof state?.back === 'string' ? { back: state.back, backLabel: state.backLabel } : undefined
  const title =
    detail.status === 'ok' ? firstLine(detail.data.session.task, 80) || 'Session' : 'Session'
  return (
    <Page
      title={title}
      description={
        detail.status === 'ok'
          ? `${detail.data.session.agent_name} · started ${new Date(detail.data.session.started_at).toLocaleString()}`
          : 'Every step of one run, in order.'
      }
    >
      <p className="tl-back">
        {back ? <Link to={back.back}>← {back.backLabel ?? 'Back'}</Link> : <Link to="/sessions">← All sessions</Link>}
      </p>
      {detail.status === 'loading' && <p className="muted">Loading the session…</p>}
      {detail.status === 'error' && <CallError error={detail.error} />}
      {detail.status === 'ok' && (
        <Timeline key={id} detail={detail.data} firstPage={first.id === id ? first.promise : undefined} />
      )}
    </Page>
  )
}


function Summary({ detail }: { detail: SessionDetail }) {
  const { session, threads, outcomes } = detail
  const tokensIn = threads.reduce((n, t) => n + t.usage.input_tokens, 0)
  const tokensOut = threads.reduce((n, t) => n + t.usage.output_tokens, 0)
  const cost = threads.reduce((n, t) => n + t.cost_usd, 0)
  const outcome = outcomes.at(-1)
  return (
    <dl className="tl-summary-facts" aria-label="Session summary">
      <div>
        <dt>Status</dt>
        <dd>
          <span className={`status-badge tone-badge-${sessionBadge({ ...session, outcome }).tone}`}>
            {sessionBadge({ ...session, outcome }).text}
          </span>
        </dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{formatMs(durationOf(session))}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd>
          {formatTokens(tokensIn)} in · {formatTokens(tokensOut)} out
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd>{formatCost(cost)}</dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{detail.event_count.toLocaleString()}</dd>
      </div>
      <div>
        <dt>Threads</dt>
        <dd>{threads.length}</dd>
      </div>
      {session.imported && (
        <div>
          <dt>Imported from</dt>
          <dd data-testid="imported-from">
            {session.imported.file_name} ({formatLabel(session.imported.format)}), record{' '}
            {session.imported.record.toLocaleString('en')}
            {session.imported.outcome && ` · ${importedLabel(session.imported).text.replace('Imported · ', '')}`}
          </dd>
        </div>
      )}
      {outcome && (
        <div>
          <dt>Outcome</dt>
          <dd>
            {outcome.result ? resultLabel(outcome.result) : 'Grading'}
            {outcome.score !== null && ` · ${Math.round(outcome.score * 100)}%`} · {outcome.iterations} of{' '}
            {outcome.max_iterations} attempts
          </dd>
        </div>
      )}
      {session.error && (
        <div className="tl-summary-error">
          <dt>Error</dt>
          <dd>{session.error}</dd>
        </div>
      )}
    </dl>
  )
}

interface View {
  key: string
  total: number | undefined
  cache: PageCache
  error?: ApiError
}

/** How often a running session's timeline looks for new events. */
const LIVE_MS = 1500

function Timeline({ detail: initial, firstPage }: { detail: SessionDetail; firstPage?: Promise<TimelinePage> }) {
  const id = initial.session.id
  // A running session's facts and threads change; they are asked again.
  const [detail, setDetail] = useState(initial)
  const lanes = useMemo(() => buildLanes(detail.threads, detail.session.root_id), [detail])
  const laneOf = useMemo(() => new Map(lanes.map((l) => [l.id, l.index])), [lanes])
  const [groups, setGroups] = useState<Set<string>>(new Set())
  const [thread, setThread] = useState<string>()
  const filter = useMemo(() => {
    const kinds = kindsFor(groups)
    return { ...(kinds ? { kinds } : {}), ...(thread ? { thread_id: thread } : {}) }
  }, [groups, thread])
  const filterKey = JSON.stringify(filter)
  const [view, setView] = useState<View>(() => ({ key: filterKey, total: undefined, cache: new PageCache() }))
  const [, setVersion] = useState(0)
  const [marks, setMarks] = useState<TimelineMarks>()
  const [open, setOpen] = useState<Set<number>>(new Set())
  const [active, setActive] = useState(0)
  const [announce, setAnnounce] = useState('')
  const [exportError, setExportError] = useState<ApiError>()
  const scroller = useRef<HTMLDivElement>(null)
  const focusWanted = useRef<number | undefined>(undefined)
  const visited = useRef(false)
  const remeasure = useRef(false)

  // A new filter is a new view: first page (and its total), then marks.
  useEffect(() => {
    let current = true
    const cache = new PageCache()
    cache.request(0)
    setView({ key: filterKey, total: undefined, cache })
    setActive(0)
    visited.current = false
    const f = JSON.parse(filterKey)
    const page0 =
      filterKey === '{}' && firstPage ? firstPage : call('sessions.page', { id, offset: 0, limit: PAGE_SIZE, ...f })
    page0.then(
      (page) => {
        if (!current) return
        cache.put(0, page.events)
        setView({ key: filterKey, total: page.total, cache })
      },
      (error: ApiError) => current && setView({ key: filterKey, total: 0, cache, error }),
    )
    call('sessions.marks', { id, ...f }).then(
      (m) => current && setMarks(m),
      () => current && setMarks(undefined),
    )
    return () => {
      current = false
    }
  }, [id, filterKey, firstPage])

  // While the session runs: new threads, new totals, new events at the end.
  const running = detail.session.status === 'running'
  useEffect(() => {
    if (!running) return
    let current = true
    const timer = setInterval(() => {
      const f = JSON.parse(filterKey)
      Promise.all([call('sessions.get', { id }), call('sessions.page', { id, offset: 0, limit: 1, ...f })]).then(
        ([next, head]) => {
          if (!current) return
          setDetail(next)
          setView((v) => {
            if (v.key !== filterKey || v.total === undefined || v.total === head.total) return v
            // The last page was partial: ask for it again.
            v.cache.forgetFrom(Math.floor(v.total / PAGE_SIZE))
            return { ...v, total: head.total }
          })
          call('sessions.marks', { id, ...f }).then((m) => current && setMarks(m), () => {})
        },
        () => {},
      )
    }, LIVE_MS)
    return () => {
      current = false
      clearInterval(timer)
    }
  }, [running, id, filterKey])

  const total = view.key === filterKey ? (view.total ?? 0) : 0
  // TanStack Virtual hands back a mutable object by design; nothing here is
  // memoised on it, and the app does not use the React Compiler.
  // oxlint-disable-next-line react/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    // Closed rows are exactly ROW px; only open rows are measured, so
    // scrolling never forces a layout per new row.
    // Keys are positions (the default): a new function here each render
    // would make the virtualizer re-measure all 50,000 rows every frame.
    estimateSize: rowSize,
    overscan: 10,
    // Render rows in React's next task rather than inside the scroll event:
    // the frame paints at once, and the overscan covers what a fast flick
    // reveals before the rows catch up.
    useFlushSync: false,
  })
  const items = virtualizer.getVirtualItems()
  const first = items[0]?.index ?? 0
  const last = items.at(-1)?.index ?? -1

  // Fetch the pages the view shows (and the next one, to scroll into).
  useEffect(() => {
    if (view.total === undefined || view.key !== filterKey) return
    const cache = view.cache
    const f = JSON.parse(filterKey)
    for (const page of cache.missing(first, last + PAGE_SIZE / 2, view.total)) {
      cache.request(page)
      call('sessions.page', { id, offset: page * PAGE_SIZE, limit: PAGE_SIZE, ...f }).then(
        (p) => {
          cache.put(page, p.events)
          setVersion((v) => v + 1)
        },
        () => cache.failed(page),
      )
    }
  }, [first, last, view, filterKey, id])

  const toggle = useCallback((seq: number) => {
    // Sizes change: forget the measured ones (open rows measure again).
    remeasure.current = true
    setOpen((o) => {
      const next = new Set(o)
      if (next.has(seq)) next.delete(seq)
      else next.add(seq)
      return next
    })
  }, [])

  const focusRow = useCallback(
    (index: number) => {
      if (total === 0) return
      const i = Math.max(0, Math.min(total - 1, index))
      setActive(i)
      visited.current = true
      focusWanted.current = i
      virtualizer.scrollToIndex(i, { align: 'auto' })
    },
    [total, virtualizer],
  )

  useEffect(() => {
    if (remeasure.current) {
      remeasure.current = false
      virtualizer.measure()
    }
  }, [open, virtualizer])

  // Focus follows the active row once it is rendered.
  useEffect(() => {
    const want = focusWanted.current
    if (want === undefined) return
    const button = scroller.current?.querySelector<HTMLButtonElement>(`button[data-index="${want}"]`)
    if (button) {
      button.focus({ preventScroll: true })
      focusWanted.current = undefined
    }
  })

  const errors = marks?.errors ?? []
  const jumpToError = (direction: 1 | -1) => {
    const target = nextError(errors, visited.current ? active : -1, direction)
    if (target === undefined) {
      setAnnounce('No errors in this view.')
      return
    }
    focusRow(target)
    setAnnounce(`Error ${errors.indexOf(target) + 1} of ${errors.length}.`)
  }

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 340) / ROW) - 1)
    const moves: Record<string, number> = {
      ArrowDown: active + 1,
      j: active + 1,
      ArrowUp: active - 1,
      k: active - 1,
      PageDown: active + page,
      PageUp: active - page,
      Home: 0,
      End: total - 1,
    }
    if (e.key in moves) {
      e.preventDefault()
      focusRow(moves[e.key])
    } else if (e.key === 'n' || e.key === 'N') {
      e.preventDefault()
      jumpToError(e.shiftKey ? -1 : 1)
    }
  }

  const exportAs = async (format: 'json' | 'otel' | 'anthropic') => {
    setExportError(undefined)
    try {
      const { file_name, document } = await call('sessions.export', { id, format })
      setAnnounce(await download(file_name, JSON.stringify(document, null, 2) + '\n'))
    } catch (error) {
      setExportError(error instanceof ApiError ? error : new ApiError('engine', String(error), 'sessions.export'))
    }
  }

  const errorIndex = errors.indexOf(active)
  // One row is in the Tab order: the active one, or the first shown.
  const tabbable = items.some((i) => i.index === active) ? active : first
  return (
    <>
      <Summary detail={detail} />
      <div className="tl-toolbar">
        <div className="tl-chips" role="group" aria-label="Show kinds of events">
          {KIND_GROUPS.map((g) => {
            const count = g.kinds.reduce((n, k) => n + (marks?.kinds[k] ?? 0), 0)
            const on = groups.has(g.id)
            return (
              <button
                key={g.id}
                type="button"
                className="chip"
                aria-pressed={on}
                onClick={() =>
                  setGroups((s) => {
                    const next = new Set(s)
                    if (on) next.delete(g.id)
                    else next.add(g.id)
                    return next
                  })
                }
              >
                {g.label} <span className="chip-count">{count.toLocaleString()}</span>
              </button>
            )
          })}
        </div>
        <div className="tl-actions">
          <span className="tl-error-count" aria-live="off">
            {errors.length === 0
              ? 'No errors'
              : errorIndex >= 0
                ? `Error ${errorIndex + 1} of ${errors.length}`
                : `${errors.length} error${errors.length === 1 ? '' : 's'}`}
          </span>
          <button
            type="button"
            className="button button-small"
            onClick={() => jumpToError(-1)}
            disabled={errors.length === 0}
            aria-keyshortcuts="Shift+N"
          >
            Previous error
          </button>
          <button
            type="button"
            className="button button-small"
            onClick={() => jumpToError(1)}
            disabled={errors.length === 0}
            aria-keyshortcuts="N"
          >
            Next error
          </button>
          {detail.outcomes.some((o) => o.result !== null) && !detail.session.parent_id && (
            <UseAsCheck sessionId={id} agent={detail.session.agent_name} />
          )}
          <button type="button" className="button button-small" onClick={() => void exportAs('json')}>
            Export JSON
          </button>
          <button type="button" className="button button-small" onClick={() => void exportAs('otel')}>
            Export OpenTelemetry
          </button>
          <button
            type="button"
            className="button button-small"
            onClick={() => void exportAs('anthropic')}
            title="The conversation as an Anthropic Messages request body, to replay or import elsewhere"
          >
            Export Anthropic JSON
          </button>
        </div>
      </div>
      {exportError && <CallError error={exportError} />}
      {lanes.length > 1 && (
        <div className="tl-lane-legend" role="group" aria-label="Threads">
          <button type="button" className="chip" aria-pressed={thread === undefined} onClick={() => setThread(undefined)}>
            All threads
          </button>
          {lanes.map((l) => (
            <button
              key={l.id}
              type="button"
              className="chip"
              aria-pressed={thread === l.id}
              onClick={() => setThread(thread === l.id ? undefined : l.id)}
              title={l.task}
            >
              <span className={`lane-swatch lane-${l.index % 8}`} aria-hidden="true" />
              {l.depth > 0 ? '↳ ' : ''}
              {l.agent}
              <span className="chip-count">{(marks?.threads[l.id] ?? 0).toLocaleString()}</span>
            </button>
          ))}
        </div>
      )}
      <p className="visually-hidden" role="status" aria-live="polite">
        {announce}
      </p>
      {view.error && <CallError error={view.error} />}
      {view.total === undefined && <p className="muted small">Loading events…</p>}
      {view.total === 0 && !view.error && (
        <p className="tl-empty">
          {filterKey === '{}'
            ? 'This session has no events yet.'
            : 'No events match these filters. Turn a filter off to see more.'}
        </p>
      )}
      <div
        ref={scroller}
        className="tl-scroller"
        role="list"
        aria-label={`Events, ${total.toLocaleString()} in this view. Arrow keys move, Enter opens, N jumps to the next error.`}
        onKeyDown={onKeyDown}
        data-testid="timeline"
        data-total={total}
      >
        <div className="tl-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const event = view.cache.get(item.index)
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={event && open.has(event.seq) ? virtualizer.measureElement : undefined}
                className="tl-slot"
                style={{ transform: `translateY(${item.start}px)` }}
              >
                {event ? (
                  <TimelineRow
                    event={event}
                    index={item.index}
                    total={total}
                    lanes={lanes}
                    laneOf={laneOf}
                    start={detail.session.started_at}
                    open={open.has(event.seq)}
                    active={item.index === tabbable}
                    onToggle={toggle}
                  />
                ) : (
                  <div className="tl-row tl-placeholder" role="listitem" aria-busy="true" aria-setsize={total} aria-posinset={item.index + 1}>
                    <span className="visually-hidden">Loading</span>
                  </div>
                )}
              </div>
            )
          })}
        </div>
      </div>
      <p className="tl-keys muted small">
        <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Enter</kbd> open · <kbd>N</kbd> next error · <kbd>Shift</kbd>+<kbd>N</kbd>{' '}
        previous error
      </p>
    </>
  )
}
