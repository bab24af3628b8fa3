/** What a run panel shows, folded from the engine's progress events of one session. Pure; it never calls the engine. */
import type { ApiEvent, SessionStatus } from '../api'

export interface ToolLine {
  name: string
  state: 'running' | 'ok' | 'error'
}

export interface RunView {
  text: string
  tools: ToolLine[]
  status: SessionStatus | 'starting'
  error?: string
  retrying?: string
}

export const STATUS_LABEL: Record<RunView['status'], string> = {
  starting: 'Starting…',
  running: 'Running…',
  completed: 'Completed',
  failed: 'Failed',
  interrupted: 'Interrupted',
  canceled: 'Canceled',
}

/** Folds one engine event of this session into what the panel shows. */
export function applyEvent(view: RunView, event: ApiEvent): RunView {
  switch (event.type) {
    case 'session_started':
      return { ...view, status: 'running' }
    case 'text_delta':
      return { ...view, status: 'running', retrying: undefined, text: view.text + String(event.text ?? '') }
    case 'tool_call':
      return { ...view, tools: [...view.tools, { name: String(event.name), state: 'running' }] }
    case 'tool_result': {
      const tools = [...view.tools]
      const at = tools.map((t) => t.name === event.name && t.state === 'running').lastIndexOf(true)
      if (at >= 0) tools[at] = { ...tools[at], state: event.is_error ? 'error' : 'ok' }
      return { ...view, tools }
    }
    case 'retrying':
      return { ...view, retrying: `Retrying (attempt ${String(event.attempt)}): ${String(event.error)}` }
    case 'finished': {
      const answer = typeof event.final_answer === 'string' ? event.final_answer : ''
      return {
        ...view,
        retrying: undefined,
        status: event.status as SessionStatus,
        // The stream may have been missed (a late subscription); the final answer is whole.
        text: view.text || answer,
        error: typeof event.error === 'string' ? event.error : undefined,
      }
    }
    default:
      return view
  }
}
