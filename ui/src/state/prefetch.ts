/**
 * Engine answers asked for before the screen that shows them exists: a deep
 * link starts its screen's first calls while the screen's code is still
 * loading, and the screen takes those answers instead of asking again. Each
 * is taken once, and only while fresh, so nothing stale shows later.
 */
import { call, type ApiMethod, type ParamsOf, type ResultOf } from '../api'

const FRESH_MS = 5000
const waiting = new Map<string, { askedAt: number; answer: Promise<unknown> }>()

// Key order in params must not matter: `{ id, limit }` and `{ limit, id }` are one call.
const keyOf = (method: string, params: unknown) =>
  JSON.stringify([method, params], (_, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  )

/** Starts a call now for a screen that will ask for it soon. */
export function prefetch<M extends ApiMethod>(method: M, params: ParamsOf<M>) {
  const answer = call(method, params)
  // A failure is reported by the screen that takes the answer, not here.
  answer.catch(() => undefined)
  waiting.set(keyOf(method, params), { askedAt: performance.now(), answer })
}

/** The prefetched answer to this call if there is a fresh one, else a new call. */
export function callOrTake<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const key = keyOf(method, params)
  const early = waiting.get(key)
  waiting.delete(key)
  if (early && performance.now() - early.askedAt < FRESH_MS) return early.answer as Promise<ResultOf<M>>
  return call(method, params)
}
