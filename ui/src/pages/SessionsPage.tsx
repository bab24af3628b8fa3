/**
 * Sessions: every run of an agent on a task, newest first, filtered by
 * agent, status, outcome and date (kept in the address); each opens its
 * timeline. Subagent threads are shown inside their lead's session, not here.
 */
import { sessionBadge } from '../state/sessionBadge'
import { useId, useMemo, useState } from 'react'
import { Link } from 'wouter'
import type { OutcomeFilter, SessionOverviewFilter, SessionStatus } from '../api'
import { CallError } from '../components/CallError'
import { EmptyState } from '../components/EmptyState'
import { Page } from '../components/Page'
import { SessionsIcon } from '../components/icons'
import { DemoData } from '../components/sessions/DemoData'
import { ImportSessions } from '../components/sessions/ImportSessions'
import { importedLabel } from '../state/imports'
import { dayStart, durationOf, firstLine, formatCost, formatMs, resultLabel } from '../state/timeline'
import { useAddressState } from '../state/router'
import { useCall } from '../state/useCall'
import { useReturnFocus } from '../state/useReturnFocus'
import { Options } from '../components/Options'
import { ResultsSection } from '../components/outcomes/ResultsSection'
import '../styles/timeline.css'

const STATUSES: SessionStatus[] = ['running', 'completed', 'failed', 'interrupted', 'canceled']
const OUTCOMES: { value: OutcomeFilter; label: string }[] = [
  { value: 'graded', label: 'Graded' },
  { value: 'ungraded', label: 'Not graded' },
  { value: 'satisfied', label: 'Satisfied' },
  { value: 'needs_revision', label: 'Needs revision' },
  { value: 'max_iterations_reached', label: 'Out of attempts' },
  { value: 'failed', label: 'Does not apply' },
  { value: 'interrupted', label: 'Interrupted' },
]

const FILTERS = ['agent', 'status', 'outcome', 'from', 'to'] as const
type Filters = Record<(typeof FILTERS)[number], string>

/** The filters the address asks for ('' for none). */
function filtersOf(query: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? ''])) as Filters
}

/** The address's query for the filters set. */
function queryOf(filters: Filters) {
  return new URLSearchParams(FILTERS.filter((name) => filters[name]).map((name) => [name, filters[name]]))
}

export function SessionsPage() {
  const ids = useId()
  // The filters live in the address (kept in place, the same visit), so
  // Back from a session's timeline returns to the same filtered list.
  const [{ agent, status, outcome, from, to }, setFilters] = useAddressState(filtersOf, queryOf)
  const setFilter = (name: keyof Filters) => (value: string) => setFilters((now) => ({ ...now, [name]: value }))
  const [setAgent, setStatus, setOutcome, setFrom, setTo] = FILTERS.map(setFilter)
  const [refresh, setRefresh] = useState(0)
  const [importing, setImporting] = useState(false)
  const [importButton, returnFocusToImport] = useReturnFocus(importing)
  const agents = useCall('agents.list', {}, refresh)
  const filter = useMemo(() => {
    const f: SessionOverviewFilter = { limit: 500 }
    if (agent) f.agent = agent
    if (status) f.status = status as SessionStatus
    if (outcome) f.outcome = outcome as OutcomeFilter
    const after = dayStart(from)
    const before = dayStart(to, 1)
    if (after) f.started_after = after
    if (before) f.started_before = before
    return f
  }, [agent, status, outcome, from, to])
  const sessions = useCall('sessions.overview', filter, refresh)
  const filtered = Boolean(agent || status || outcome || from || to)

  return (
    <Page
      title="Sessions"
      description="A session is one run of an agent on a task: every message, tool call and grade, in order."
    >
      <div className="actions actions-wrap">
        <button
          ref={importButton}
          type="button"
          className="button button-primary"
          onClick={() => setImporting(true)}
          aria-expanded={importing}
          disabled={importing}
        >
          Import sessions…
        </button>
        <DemoData
          onLoaded={(name) => {
            setAgent(name)
            setRefresh((n) => n + 1)
          }}
        />
      </div>
      {importing && (
        <ImportSessions
          onImported={(summary) => {
            if (summary.imported > 0) setAgent(summary.agent)
            setRefresh((n) => n + 1)
          }}
          onClose={() => {
            returnFocusToImport()
            setImporting(false)
          }}
        />
      )}
      <form className="session-filters" aria-label="Filter sessions" onSubmit={(e) => e.preventDefault()}>
        <label className="field" htmlFor={`${ids}-agent`}>
          Agent
          <select id={`${ids}-agent`} value={agent} onChange={(e) => setAgent(e.target.value)}>
            <option value="">All agents</option>
            {agents.status === 'ok' && <Options choices={agents.data.map((a) => a.name)} />}
          </select>
        </label>
        <label className="field" htmlFor={`${ids}-status`}>
          Status
          <select id={`${ids}-status`} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s[0].toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </label>
        <label className="field" htmlFor={`${ids}-outcome`}>
          Outcome
          <select id={`${ids}-outcome`} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
            <option value="">Any outcome</option>
            <Options choices={OUTCOMES} />
          </select>
        </label>
        <label className="field" htmlFor={`${ids}-from`}>
          From
          <input id={`${ids}-from`} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field" htmlFor={`${ids}-to`}>
          To
          <input id={`${ids}-to`} type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </form>
      <ResultsSection agent={agent || undefined} as="div" />
      {sessions.status === 'loading' && <p className="muted">Loading sessions…</p>}
      {sessions.status === 'error' && <CallError error={sessions.error} />}
      {sessions.status === 'ok' && sessions.data.length === 0 && !filtered && (
        <EmptyState icon={<SessionsIcon />} title="No sessions yet">
          <p>
            Give an agent a task on the <Link to="/agents">Agents</Link> screen and its session appears here, step
            by step. Or import past sessions from another tool, or load the demo: 120 real airline customer-service
            sessions to dream over.
          </p>
        </EmptyState>
      )}
      {sessions.status === 'ok' && sessions.data.length === 0 && filtered && (
        <p className="tl-empty">No session matches these filters. Clear one to see more.</p>
      )}
      {sessions.status === 'ok' && sessions.data.length > 0 && (
        <ul className="list session-list" aria-label="Sessions">
          {sessions.data.map((s) => (
            <li key={s.id}>
              <Link to={`/sessions/${s.id}`} className="session-row">
                <span className="session-task">{firstLine(s.task, 120) || '(no task)'}</span>
                <span className={`status-badge tone-badge-${sessionBadge(s).tone}`} data-testid="session-badge">
                  {sessionBadge(s).text}
                </span>
                <span className="session-meta">
                  {s.agent_name}
                  {s.thread_count > 0 && ` · ${s.thread_count} subagent thread${s.thread_count === 1 ? '' : 's'}`} ·{' '}
                  {new Date(s.started_at).toLocaleString()} · {formatMs(durationOf(s))} · {formatCost(s.cost_usd)}
                  {s.imported && (
                    <>
                      {' · '}
                      <span className={`session-imported tone-${importedLabel(s.imported).tone}`}>
                        {importedLabel(s.imported).text}
                      </span>
                    </>
                  )}
                  {s.outcome && (
                    <>
                      {' · '}
                      <span className="session-outcome">
                        {s.outcome.result ? resultLabel(s.outcome.result) : 'Grading'}
                        {s.outcome.score !== null && ` ${Math.round(s.outcome.score * 100)}%`}
                      </span>
                    </>
                  )}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Page>
  )
}
