/**
 * One row of the session timeline: the lane gutter (which threads were
 * running, and a dot on this event's thread), the time since the session
 * started, what happened in one line, and the step's tokens, cost and
 * latency. Opened, it shows the whole event: text, tool input and result,
 * per-criterion verdicts, raw data. Memoised: scrolling re-renders only rows
 * that come into view.
 */
import { memo } from 'react'
import { Link } from 'wouter'
import type { SessionEvent } from '../../api'
import {
  describeEvent,
  formatCost,
  formatMs,
  formatTokens,
  laneActive,
  offsetLabel,
  type Lane,
} from '../../state/timeline'
import '../../styles/evals.css'

interface RowProps {
  event: SessionEvent
  index: number
  total: number
  lanes: Lane[]
  laneOf: Map<string, number>
  start: string
  open: boolean
  active: boolean
  onToggle: (seq: number) => void
}

export const LANE_WIDTH = 14

export const TimelineRow = memo(function TimelineRow({
  event,
  index,
  total,
  lanes,
  laneOf,
  start,
  open,
  active,
  onToggle,
}: RowProps) {
  const line = describeEvent(event)
  const lane = laneOf.get(event.thread_id) ?? 0
  const agent = lanes[lane]?.agent ?? ''
  const usage = event.usage
  return (
    <div
      role="listitem"
      aria-setsize={total}
      aria-posinset={index + 1}
      className={`tl-row tone-${line.tone}${open ? ' is-open' : ''}`}
      data-timeline-row=""
    >
      <button
        type="button"
        className="tl-row-main"
        data-index={index}
        tabIndex={active ? 0 : -1}
        aria-expanded={open}
        onClick={() => onToggle(event.seq)}
      >
        <span className="tl-lanes" style={{ width: lanes.length * LANE_WIDTH }} aria-hidden="true">
          {lanes.map((l) =>
            laneActive(l, event.at) || l.index === lane ? (
              <span
                key={l.id}
                className={`tl-lane lane-${l.index % 8}${l.index === lane ? ' is-here' : ''}`}
                style={{ left: l.index * LANE_WIDTH }}
              />
            ) : null,
          )}
        </span>
        <span className="tl-time">{offsetLabel(event.at, start)}</span>
        <span className="tl-kind">{line.label}</span>
        <span className="tl-summary">
          {lanes.length > 1 && <span className={`tl-agent lane-text-${lane % 8}`}>{agent}</span>}
          {line.summary}
        </span>
        <span className="tl-metrics">
          {usage && (
            <span title={`${usage.input_tokens} input, ${usage.output_tokens} output tokens`}>
              {formatTokens(usage.input_tokens)}→{formatTokens(usage.output_tokens)}
            </span>
          )}
          {event.cost_usd ? <span>{formatCost(event.cost_usd)}</span> : null}
          {event.latency_ms !== null && <span>{formatMs(event.latency_ms)}</span>}
        </span>
      </button>
      {open && <EventDetails event={event} agent={agent} />}
    </div>
  )
})

function Text({ label, text }: { label: string; text: unknown }) {
  if (text === undefined || text === null || text === '') return null
  return (
    <div className="tl-detail-block">
      <div className="tl-detail-label">{label}</div>
      <pre>{typeof text === 'string' ? text : JSON.stringify(text, null, 2)}</pre>
    </div>
  )
}

interface Verdict {
  name: string
  passed: boolean
  score: number
  evidence?: string
  gap?: string | null
}

/** A memory read or write names the version it read or wrote, with a link to who wrote each of its lines. */
function MemoryReceipt({ event }: { event: SessionEvent }) {
  const d = event.data
  if (event.kind !== 'memory_read' && event.kind !== 'memory_write') return null
  if (typeof d.version !== 'number' || typeof d.path !== 'string') return null
  const read = event.kind === 'memory_read'
  const store = typeof d.store === 'string' ? d.store : undefined
  const params = new URLSearchParams({ ...(store ? { store } : {}), doc: d.path, view: 'blame', version: String(d.version) })
  return (
    <p className="tl-memory-receipt" data-testid="memory-receipt">
      {read ? 'Read' : 'Wrote'} version {d.version} of {d.path}
      {store && (
        <>
          {' · '}
          <Link to={`/memory?${params}`}>See who wrote each line of version {d.version}</Link>
        </>
      )}
    </p>
  )
}

function EventDetails({ event, agent }: { event: SessionEvent; agent: string }) {
  const d = event.data
  const verdicts = Array.isArray(d.verdicts) ? (d.verdicts as Verdict[]) : []
  return (
    <div className="tl-details">
      <p className="tl-detail-meta">
        #{event.seq} · {event.at.replace('T', ' ').replace('Z', ' UTC')} · {agent}
        {event.usage &&
          ` · ${event.usage.input_tokens} in / ${event.usage.output_tokens} out tokens` +
            (event.usage.cache_read_input_tokens ? ` (${event.usage.cache_read_input_tokens} cached)` : '')}
        {typeof d.model === 'string' && ` · ${d.model}`}
      </p>
      <MemoryReceipt event={event} />
      <Text label="Text" text={d.text} />
      <Text label="Thinking" text={d.thinking} />
      <Text label="Input" text={d.input} />
      <Text label="Result" text={d.content} />
      <Text label="Task" text={d.task} />
      <Text label="Message" text={d.message ?? d.error} />
      <Text label="Explanation" text={d.explanation} />
      {verdicts.length > 0 && (
        <table className="tl-verdicts">
          <caption className="visually-hidden">Verdicts per criterion</caption>
          <thead>
            <tr>
              <th scope="col">Criterion</th>
              <th scope="col">Verdict</th>
              <th scope="col">Evidence or gap</th>
            </tr>
          </thead>
          <tbody>
            {verdicts.map((v, i) => (
              <tr key={i}>
                <td>{v.name}</td>
                <td className={v.passed ? 'is-pass' : 'is-fail'}>{v.passed ? 'Pass' : 'Fail'}</td>
                <td>{v.passed ? v.evidence : v.gap || v.evidence}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details className="tl-raw">
        <summary>Raw event</summary>
        <pre>{JSON.stringify(event, null, 2)}</pre>
      </details>
    </div>
  )
}
