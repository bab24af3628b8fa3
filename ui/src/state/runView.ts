/**
 * What a run panel shows, folded from the engine's progress events of one
 * session: attempts (a graded run may take several), each a list of blocks
 * (one per model turn's text, one per tool call), the grader's verdict under
 * each attempt, and a headline that agrees with the outcome. Pure; it never
 * calls the engine.
 */
import type { ApiEvent, CriterionVerdict, OutcomeResult, SessionStatus } from '../api'

export interface ToolLine {
  name: string
  state: 'running' | 'ok' | 'error'
}

export type Block = { kind: 'text'; text: string } | ({ kind: 'tool' } & ToolLine)

export interface AttemptVerdict {
  result: OutcomeResult
  score: number
  explanation: string
  criteria: CriterionVerdict[]
}

export interface Attempt {
  /** 1-based; 0 for an ungraded run's only attempt. */
  number: number
  of: number
  blocks: Block[]
  verdict?: AttemptVerdict
  gradingError?: string
}

export interface RunView {
  attempts: Attempt[]
  status: SessionStatus | 'starting'
  error?: string
  retrying?: string
  /** What the engine says before the answer (a model that cannot call tools). */
  notices?: string[]
}

export const emptyRun = (): RunView => ({ attempts: [{ number: 0, of: 0, blocks: [] }], status: 'starting' })

export const STATUS_LABEL: Record<RunView['status'], string> = {
  starting: 'Starting…',
  running: 'Running…',
  completed: 'Completed',
  failed: 'Failed',
  interrupted: 'Interrupted',
  canceled: 'Canceled',
}

/** The headline and its tone: what happened, in words that agree with the grade. */
export function headline(view: RunView): { text: string; tone: 'busy' | 'good' | 'bad' | 'warn' | 'plain' } {
  if (view.status === 'starting' || view.status === 'running') {
    const current = view.attempts[view.attempts.length - 1]
    const text = current && current.of > 0 ? `Running attempt ${current.number} of ${current.of}…` : STATUS_LABEL[view.status]
    return { text, tone: 'busy' }
  }
  const graded = view.attempts.filter((a) => a.verdict || a.gradingError)
  const last = graded[graded.length - 1]
  if (view.status === 'canceled') return { text: 'Canceled', tone: 'plain' }
  if (last?.gradingError) return { text: 'Finished, but grading failed', tone: 'warn' }
  if (last?.verdict) {
    const { result } = last.verdict
    const n = last.number
    const of = last.of
    if (result === 'satisfied') return { text: `Passed on attempt ${n} of ${of}`, tone: 'good' }
    if (result === 'max_iterations_reached') return { text: `Did not pass after ${n} ${n === 1 ? 'attempt' : 'attempts'}`, tone: 'bad' }
    if (result === 'failed') return { text: 'Not graded: the rubric does not fit this answer', tone: 'warn' }
    if (view.status === 'completed') return { text: 'Completed', tone: 'good' }
  }
  if (view.status === 'completed') return { text: 'Completed', tone: 'good' }
  return { text: STATUS_LABEL[view.status] ?? view.status, tone: 'bad' }
}

/** The result of a verdict in words. */
export const RESULT_LABEL: Record<OutcomeResult, string> = {
  satisfied: 'Passed',
  needs_revision: 'Sent back for another attempt',
  max_iterations_reached: 'Did not pass; no attempts left',
  failed: 'The rubric does not fit this answer',
  interrupted: 'Interrupted',
}

function withCurrent(view: RunView, change: (attempt: Attempt) => Attempt): RunView {
  const attempts = view.attempts.length > 0 ? [...view.attempts] : [{ number: 0, of: 0, blocks: [] }]
  attempts[attempts.length - 1] = change(attempts[attempts.length - 1])
  return { ...view, attempts }
}

function attemptNumbered(view: RunView, iteration: number, change: (attempt: Attempt) => Attempt): RunView {
  const at = view.attempts.findIndex((a) => a.number === iteration)
  if (at < 0) return withCurrent(view, change)
  const attempts = [...view.attempts]
  attempts[at] = change(attempts[at])
  return { ...view, attempts }
}

function hasText(view: RunView): boolean {
  return view.attempts.some((a) => a.blocks.some((b) => b.kind === 'text' && b.text.length > 0))
}

/** Folds one engine event of this session into what the panel shows. */
export function applyEvent(view: RunView, event: ApiEvent): RunView {
  switch (event.type) {
    case 'session_started':
      return { ...view, status: 'running' }
    case 'attempt_started': {
      const number = Number(event.iteration)
      const of = Number(event.max_iterations)
      const current = view.attempts[view.attempts.length - 1]
      // The first attempt takes over the placeholder (and anything streamed before it).
      if (current && current.number === 0) {
        return withCurrent({ ...view, status: 'running' }, (a) => ({ ...a, number, of }))
      }
      if (view.attempts.some((a) => a.number === number)) return view
      return { ...view, status: 'running', attempts: [...view.attempts, { number, of, blocks: [] }] }
    }
    case 'text_delta': {
      const text = String(event.text ?? '')
      return withCurrent({ ...view, status: 'running', retrying: undefined }, (a) => {
        const blocks = [...a.blocks]
        const last = blocks[blocks.length - 1]
        if (last?.kind === 'text') blocks[blocks.length - 1] = { kind: 'text', text: last.text + text }
        else blocks.push({ kind: 'text', text })
        return { ...a, blocks }
      })
    }
    case 'tool_call':
      return withCurrent(view, (a) => ({
        ...a,
        blocks: [...a.blocks, { kind: 'tool', name: String(event.name), state: 'running' }],
      }))
    case 'tool_result':
      return withCurrent(view, (a) => {
        const blocks = [...a.blocks]
        const at = blocks.map((b) => b.kind === 'tool' && b.name === event.name && b.state === 'running').lastIndexOf(true)
        if (at >= 0) blocks[at] = { ...(blocks[at] as Block & { kind: 'tool' }), state: event.is_error ? 'error' : 'ok' }
        return { ...a, blocks }
      })
    case 'verdict':
      return attemptNumbered(view, Number(event.iteration), (a) => ({
        ...a,
        number: a.number || Number(event.iteration),
        of: a.of || Number(event.max_iterations ?? 0),
        verdict: {
          result: event.result as OutcomeResult,
          score: Number(event.score ?? 0),
          explanation: typeof event.explanation === 'string' ? event.explanation : '',
          criteria: Array.isArray(event.criteria) ? (event.criteria as CriterionVerdict[]) : [],
        },
      }))
    case 'notice':
      return { ...view, notices: [...(view.notices ?? []), String(event.message ?? '')] }
    case 'grading_failed':
      return attemptNumbered(view, Number(event.iteration), (a) => ({
        ...a,
        gradingError: String(event.error ?? 'the grader gave no reason'),
      }))
    case 'retrying':
      return { ...view, retrying: `The model did not answer; trying again (attempt ${String(event.attempt)}): ${String(event.error)}` }
    case 'finished': {
      const answer = typeof event.final_answer === 'string' ? event.final_answer : ''
      const finished: RunView = {
        ...view,
        retrying: undefined,
        status: event.status as SessionStatus,
        error: typeof event.error === 'string' ? event.error : undefined,
      }
      // The stream may have been missed (a late subscription); the final answer is whole.
      if (!hasText(view) && answer) {
        return withCurrent(finished, (a) => ({ ...a, blocks: [...a.blocks, { kind: 'text', text: answer }] }))
      }
      return finished
    }
    default:
      return view
  }
}

/** All the answer text of an attempt, blocks joined by a blank line (for copying and tests). */
export function attemptText(attempt: Attempt): string {
  return attempt.blocks
    .filter((b): b is Block & { kind: 'text' } => b.kind === 'text')
    .map((b) => b.text)
    .join('\n\n')
}
