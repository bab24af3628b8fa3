/** How a screen shows an engine call that failed: the engine's own sentence. */
import type { ApiError } from '../api'

export function CallError({ error }: { error: ApiError }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>Reverie could not load this.</strong> <span>{error.message}</span>
    </div>
  )
}
