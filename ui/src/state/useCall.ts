/**
 * Loads one engine call's answer for a screen: loading, the result, or the
 * engine's error sentence. It owns that request's lifecycle (and ignores
 * answers that arrive after the screen is gone or asked for something else);
 * caching and refetching across screens come later.
 */
import { useEffect, useState } from 'react'
import { ApiError, type ApiMethod, type ParamsOf, type ResultOf } from '../api'
import { callOrTake } from './prefetch'

export type CallState<T> =
  | { status: 'loading' }
  | { status: 'ok'; data: T }
  | { status: 'error'; error: ApiError }

/** `refresh`: bump it to ask again (after a change the screen made). */
export function useCall<M extends ApiMethod>(
  method: M,
  params: ParamsOf<M>,
  refresh = 0,
): CallState<ResultOf<M>> {
  const request = JSON.stringify([method, params, refresh])
  const [answer, setAnswer] = useState<{ request: string; state: CallState<ResultOf<M>> }>()

  useEffect(() => {
    let current = true
    const settle = (state: CallState<ResultOf<M>>) => current && setAnswer({ request, state })
    const [name, args] = JSON.parse(request) as [M, ParamsOf<M>, number]
    // A deep link may have asked already (see prefetch.ts).
    callOrTake(name, args).then(
      (data) => settle({ status: 'ok', data }),
      (error: unknown) =>
        settle({
          status: 'error',
          error: error instanceof ApiError ? error : new ApiError('engine', String(error), name),
        }),
    )
    return () => {
      current = false
    }
  }, [request])

  // An answer to an earlier request is not this request's answer.
  return answer?.request === request ? answer.state : { status: 'loading' }
}
