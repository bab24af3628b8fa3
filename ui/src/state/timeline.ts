/**
 * The session timeline's logic, without React: what each event says in one
 * line, the filter groups, the subagent lanes, the pages of a long timeline
 * held in memory, jumping between errors, and the number formats.
 *
 * It never calls the engine; the timeline component fetches pages and feeds
 * them in here.
 */
import type { EventKind, Session, SessionEvent } from '../api'

/** The filter chips: each shows a group of event kinds. */
export const KIND_GROUPS: { id: string; label: string; kinds: EventKind[] }[] = [
  { id: 'messages', label: 'Messages', kinds: ['user_message', 'assistant_text', 'thinking', 'final_answer'] },
  { id: 'tools', label: 'Tools', kinds: ['tool_call', 'tool_result'] },
  { id: 'memory', label: 'Memory', kinds: ['memory_read', 'memory_write'] },
  { id: 'subagents', label: 'Subagents', kinds: ['subagent_spawned', 'subagent_finished'] },
  { id: 'grading', label: 'Grading', kinds: ['grader_verdict', 'outcome_iteration'] },
  { id: 'problems', label: 'Retries & errors', kinds: ['retry', 'error', 'limit_reached'] },
]

/** The kinds shown when these groups are on (all kinds when none or all are). */
export function kindsFor(groups: ReadonlySet<string>): EventKind[] | undefined {
  if (groups.size === 0 || groups.size === KIND_GROUPS.length) return undefined
  return KIND_GROUPS.filter((g) => groups.has(g.id)).flatMap((g) => g.kinds)
}

export const KIND_LABEL: Record<EventKind, string> = {
  user_message: 'User',
  assistant_text: 'Assistant',
  thinking: 'Thinking',
  tool_call: 'Tool call',
  tool_result: 'Tool result',
  memory_read: 'Memory read',
  memory_write: 'Memory write',
  subagent_spawned: 'Subagent',
  subagent_finished: 'Subagent done',
  grader_verdict: 'Verdict',
  outcome_iteration: 'Iteration',
  retry: 'Retry',
  error: 'Error',
  limit_reached: 'Limit',
  final_answer: 'Answer',
}

export type Tone = 'neutral' | 'accent' | 'good' | 'warn' | 'bad'

export interface EventLine {
  label: string
  summary: string
  tone: Tone
  /** Whether the row has more to show when opened. */
  expandable: boolean
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v))

/** First line of a text, at most `max` characters. */
export function firstLine(text: string, max = 160): string {
  const line = text.trim().split('\n', 1)[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** What one event says, in a line. */
export function describeEvent(e: SessionEvent): EventLine {
  const d = e.data
  const label = KIND_LABEL[e.kind] ?? e.kind
  switch (e.kind) {
    case 'user_message':
      return {
        label: d.feedback ? 'Feedback' : label,
        summary: firstLine(str(d.text)),
        tone: d.feedback ? 'warn' : 'neutral',
        expandable: true,
      }
    case 'assistant_text':
    case 'final_answer':
      return { label, summary: firstLine(str(d.text)) || '(no text)', tone: e.kind === 'final_answer' ? 'good' : 'neutral', expandable: true }
    case 'thinking':
      return { label, summary: d.redacted ? '(redacted)' : firstLine(str(d.thinking)), tone: 'neutral', expandable: true }
    case 'tool_call': {
      const input = d.input as Record<string, unknown> | undefined
      const hint = input && typeof input === 'object' ? firstLine(Object.values(input).map(str).join(' · '), 120) : ''
      return { label, summary: `${str(d.name)}${hint ? ` — ${hint}` : ''}`, tone: 'accent', expandable: true }
    }
    case 'tool_result':
      return {
        label: d.is_error ? 'Tool failed' : label,
        summary: `${str(d.name)} — ${firstLine(str(d.content), 140)}`,
        tone: d.is_error ? 'bad' : 'neutral',
        expandable: true,
      }
    case 'memory_read':
    case 'memory_write':
      return { label, summary: `${str(d.path)}${d.version ? ` (version ${str(d.version)})` : ''}`, tone: 'accent', expandable: typeof d.version === 'number' }
    case 'subagent_spawned':
      return { label, summary: `${str(d.agent)} — ${firstLine(str(d.task), 120)}`, tone: 'accent', expandable: true }
    case 'subagent_finished':
      return {
        label,
        summary: `${str(d.agent)} ${str(d.status)}${d.error ? ` — ${firstLine(str(d.error), 100)}` : ''}`,
        tone: d.status === 'completed' ? 'good' : 'bad',
        expandable: false,
      }
    case 'grader_verdict': {
      const score = typeof d.score === 'number' ? ` · score ${Math.round(d.score * 100)}%` : ''
      return {
        label,
        summary: `${resultLabel(str(d.result))}${score}${d.explanation ? ` — ${firstLine(str(d.explanation), 100)}` : ''}`,
        tone: d.passed ? 'good' : 'warn',
        expandable: true,
      }
    }
    case 'outcome_iteration':
      return {
        label,
        summary: `Attempt ${str(d.iteration)} of ${str(d.max_iterations)}: ${resultLabel(str(d.result))}`,
        tone: d.result === 'satisfied' ? 'good' : 'neutral',
        expandable: false,
      }
    case 'retry':
      return {
        label,
        summary: `Attempt ${str(d.attempt)} after ${formatMs(Number(d.delay_ms ?? 0))} — ${firstLine(str(d.error), 120)}`,
        tone: 'warn',
        expandable: false,
      }
    case 'error':
      return { label, summary: firstLine(str(d.message)), tone: 'bad', expandable: true }
    case 'limit_reached':
      return { label, summary: `Stopped at ${str(d.limit)}`, tone: 'bad', expandable: false }
    default:
      return { label, summary: firstLine(JSON.stringify(d)), tone: 'neutral', expandable: true }
  }
}

export function resultLabel(result: string): string {
  return (
    {
      satisfied: 'Satisfied',
      needs_revision: 'Needs revision',
      max_iterations_reached: 'Out of attempts',
      failed: 'Does not apply',
      interrupted: 'Interrupted',
    }[result] ?? result
  )
}

/** Whether an event counts as an error (the same rule as the engine's marks). */
export function isError(e: SessionEvent): boolean {
  return e.kind === 'error' || e.kind === 'limit_reached' || (e.kind === 'tool_result' && e.data.is_error === true)
}

// --- Numbers ---------------------------------------------------------------

export function formatTokens(n: number): string {
  if (n < 1000) return String(n)
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0'
  if (usd < 0.01) return `$${usd.toFixed(4)}`
  return `$${usd.toFixed(2)}`
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return `${m} min ${s} s`
}

/** Time since the session started, as +m:ss.s (or +h:mm:ss). */
export function offsetLabel(at: string, start: string): string {
  const ms = Math.max(0, Date.parse(at) - Date.parse(start))
  if (!Number.isFinite(ms)) return ''
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  const ss = s.toFixed(1).padStart(4, '0')
  return h > 0 ? `+${h}:${String(m).padStart(2, '0')}:${ss.slice(0, 2)}` : `+${m}:${ss}`
}

/** A local calendar day as the UTC instant it starts at (fixed-width RFC 3339). */
export function dayStart(day: string, plusDays = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined
  const [y, m, d] = day.split('-').map(Number)
  const t = new Date(y, m - 1, d + plusDays)
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString()
}

export function durationOf(session: Pick<Session, 'started_at' | 'ended_at'>, now = Date.now()): number {
  const end = session.ended_at ? Date.parse(session.ended_at) : now
  return Math.max(0, end - Date.parse(session.started_at))
}

// --- Lanes -----------------------------------------------------------------

/** A thread of the session tree, drawn as a vertical lane. */
export interface Lane {
  id: string
  index: number
  agent: string
  task: string
  depth: number
  start: string
  /** Empty while the thread still runs. */
  end: string
  status: Session['status']
}

/** Lanes in tree order: the lead first, each subagent after its parent. */
export function buildLanes(threads: Session[], rootId: string): Lane[] {
  const children = new Map<string | null, Session[]>()
  for (const t of threads) {
    const key = t.id === rootId ? null : t.parent_id
    children.set(key, [...(children.get(key) ?? []), t])
  }
  const lanes: Lane[] = []
  const visit = (parent: string | null, depth: number) => {
    for (const t of (children.get(parent) ?? []).sort((a, b) => a.started_at.localeCompare(b.started_at))) {
      lanes.push({
        id: t.id,
        index: lanes.length,
        agent: t.agent_name,
        task: t.task,
        depth,
        start: t.started_at,
        end: t.ended_at ?? '',
        status: t.status,
      })
      visit(t.id, depth + 1)
    }
  }
  visit(null, 0)
  return lanes
}

/** Whether a lane's thread was running at time `at` (fixed-width RFC 3339). */
export function laneActive(lane: Lane, at: string): boolean {
  return lane.start <= at && (lane.end === '' || at <= lane.end)
}

// --- Errors ----------------------------------------------------------------

/**
 * The error position to jump to from `current` (the focused row, -1 for
 * none): the first one after it (or before it, for -1), wrapping around.
 */
export function nextError(errors: readonly number[], current: number, direction: 1 | -1): number | undefined {
  if (errors.length === 0) return undefined
  if (direction === 1) return errors.find((p) => p > current) ?? errors[0]
  for (let i = errors.length - 1; i >= 0; i--) if (errors[i] < current) return errors[i]
  return errors[errors.length - 1]
}

// --- Pages -----------------------------------------------------------------

export const PAGE_SIZE = 200

/** The first page of a session's timeline, unfiltered: what opening it asks first. */
export const firstPageParams = (id: string) => ({ id, offset: 0, limit: PAGE_SIZE })

/**
 * The parts of a long timeline in memory, by page. Pages far from the view
 * are dropped so a 100k-event session keeps a bounded footprint.
 */
export class PageCache {
  private pages = new Map<number, SessionEvent[]>()
  private pending = new Set<number>()

  readonly pageSize: number
  readonly keep: number

  constructor(pageSize = PAGE_SIZE, keep = 40) {
    this.pageSize = pageSize
    this.keep = keep
  }

  get(index: number): SessionEvent | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize]
  }

  /** Pages covering rows `first..=last` that are neither held nor asked for. */
  missing(first: number, last: number, total: number): number[] {
    if (total === 0 || last < first) return []
    const from = Math.floor(Math.max(0, first) / this.pageSize)
    const to = Math.floor(Math.min(total - 1, last) / this.pageSize)
    const out: number[] = []
    for (let p = from; p <= to; p++) if (!this.pages.has(p) && !this.pending.has(p)) out.push(p)
    return out
  }

  request(page: number): void {
    this.pending.add(page)
  }

  /** Stores a page; drops the pages farthest from it past `keep`. */
  put(page: number, events: SessionEvent[]): void {
    this.pending.delete(page)
    this.pages.set(page, events)
    if (this.pages.size > this.keep) {
      const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - page) - Math.abs(a - page))
      for (const p of far.slice(0, this.pages.size - this.keep)) this.pages.delete(p)
    }
  }

  /** Forgets pages from `page` on (a running session's last page grows). */
  forgetFrom(page: number): void {
    for (const p of [...this.pages.keys()]) if (p >= page) this.pages.delete(p)
    for (const p of [...this.pending]) if (p >= page) this.pending.delete(p)
  }

  /** Forgets a request that failed, so it can be asked again. */
  failed(page: number): void {
    this.pending.delete(page)
  }

  get size(): number {
    return this.pages.size
  }
}
