/**
 * Sentences for the Claude Managed Agents bridge (Settings and the Memory
 * screen): what a push or pull moved, what a conflict kept where, where a
 * dream on Claude stands, and the engine's refusals said for people using
 * the app rather than the command line. Pure functions, no engine calls.
 */
import { ApiError, type ManagedConflict, type ManagedSyncReport, type RemoteDreamInfo } from '../api'
import { plural } from './dreamView'

/** The bridge's seconds between two status checks of a dream still going. */
export const DREAM_POLL_MS = 3000

/** Where a key came from, in words. */
export const KEY_SOURCE: Record<string, string> = {
  keychain: 'the system keychain',
  environment: 'the ANTHROPIC_API_KEY environment variable',
}

/**
 * The engine's sentence, with the command-line advice of the refusals a
 * person meets in the app replaced by where to go in the app.
 */
export function managedError(error: unknown): string {
  const text = error instanceof ApiError || error instanceof Error ? error.message : String(error)
  if (/Managed Agents bridge is off/.test(text)) {
    return 'Claude Managed Agents is off: turn it on in Settings › Claude Managed Agents (nothing was sent).'
  }
  if (/no Anthropic API key for Claude Managed Agents/.test(text)) {
    return 'There is no Anthropic key: add one in Settings › API keys (nothing was sent).'
  }
  if (/set managed_agents\.(agent_id|environment_id) first/.test(text)) {
    return 'Add your Managed Agents agent id and environment id in Settings › Claude Managed Agents first: Claude keeps sessions only for one of your agents, in one of your environments.'
  }
  const spaces = /^managed_agents\.(agent_id|environment_id|dream_model|base_url) cannot contain spaces/.exec(text)
  if (spaces) return `The ${FIELD[spaces[1]]} cannot contain spaces: paste just the one value.`
  const noSessions = /^'(.+)' has no finished sessions since its last dream/.exec(text)
  if (noSessions) return `${noSessions[1]} has no finished sessions since its last dream: run a task first, then dream.`
  const notLinked = /^the memory store '(.+)' is not linked to a Managed Agents memory store yet/.exec(text)
  if (notLinked) {
    return `${notLinked[1]} is not on Claude yet: push it first, or pull a teammate’s store by its id.`
  }
  return text
}

const FIELD: Record<string, string> = {
  agent_id: 'agent id',
  environment_id: 'environment id',
  dream_model: 'dream model',
  base_url: 'address',
}

/** One sentence saying what a push or pull moved, what it kept, and what waits. */
export function syncSentence(report: ManagedSyncReport): string {
  const count = (...kinds: string[]) => report.events.filter((e) => kinds.includes(e.event)).length
  const push = report.direction === 'push'
  const moved = push ? count('pushed', 'removed_remote') : count('pulled', 'deleted_local')
  const conflicts = count('conflict')
  const notCarried = report.events.filter((e) => e.event === 'failed' || e.event === 'skipped')
  let first: string
  if (moved > 0) {
    first = push ? `Pushed ${plural(moved, 'document')} to Claude` : `Pulled ${plural(moved, 'document')} from Claude`
  } else if (conflicts === 0 && notCarried.length === 0) {
    first = push ? 'Nothing to push: Claude already has every change made here' : 'Nothing new to pull from Claude'
  } else {
    first = push ? 'Pushed nothing' : 'Pulled nothing'
  }
  if (push && report.created_remote_store) first = `Created a memory store on Claude. ${first}`
  const rest: string[] = []
  if (conflicts > 0) {
    rest.push(`${plural(conflicts, 'document')} changed on both sides, so both versions were kept (see the conflicts below)`)
  }
  if (notCarried.length > 0) {
    const e = notCarried[0] as { path: string; reason: string }
    rest.push(
      notCarried.length === 1
        ? `${e.path} was left as it is: ${e.reason}`
        : `${plural(notCarried.length, 'document')} were left as they are (first, ${e.path}: ${e.reason})`,
    )
  }
  if (report.waiting.length > 0) {
    rest.push(
      push
        ? `${plural(report.waiting.length, 'document')} changed on Claude ${report.waiting.length === 1 ? 'waits' : 'wait'} for Pull`
        : `${plural(report.waiting.length, 'document')} changed here ${report.waiting.length === 1 ? 'waits' : 'wait'} for Push`,
    )
  }
  return `${[first, ...rest].join('; ')}.`
}

/** One line per document a sync touched, for the details under its sentence. */
export function syncEventLines(report: ManagedSyncReport): string[] {
  return report.events.map((e) => {
    switch (e.event) {
      case 'pushed':
        return `${e.path}: pushed${e.created ? ' (new on Claude)' : ''}`
      case 'removed_remote':
        return `${e.path}: deleted here, so removed on Claude`
      case 'pulled':
        return `${e.path}: pulled as version ${e.version}`
      case 'deleted_local':
        return `${e.path}: deleted on Claude, so deleted here (version ${e.version}; earlier ones can be restored)`
      case 'conflict':
        return `${e.conflict.path}: ${conflictSentence(e.conflict)}`
      case 'skipped':
        return `${e.path}: skipped, ${e.reason}`
      case 'failed':
        return `${e.path}: not carried over, ${e.reason}`
    }
  })
}

/** What happened to a conflicted document and where each side's text is. */
export function conflictSentence(c: ManagedConflict): string {
  switch (c.kind) {
    case 'both_changed':
      return c.conflict_path
        ? `changed here and on Claude; this version stayed here and Claude’s text was kept as ${c.conflict_path}.`
        : 'changed here and on Claude; this version stayed here.'
    case 'deleted_in_store':
      return 'deleted here but changed on Claude; Claude’s version was brought back here.'
    case 'deleted_in_folder':
      return 'deleted on Claude but changed here; this version was kept and goes back to Claude on the next push.'
  }
}

/** Whether a remote dream may still change (so its status is checked again). */
export function dreamGoing(status: RemoteDreamInfo['status']): boolean {
  return status === 'pending' || status === 'running' || status === 'unknown'
}

/** Where a dream on Claude stands, in one sentence. */
export function remoteDreamSentence(d: RemoteDreamInfo): string {
  switch (d.status) {
    case 'pending':
      return 'Waiting to start on Claude…'
    case 'running':
      return 'Dreaming on Claude… You can leave this screen; the dream goes on.'
    case 'completed':
      return 'Finished on Claude. Bring it back to review what it proposes; nothing changes here until you accept it.'
    case 'failed':
      return `The dream failed on Claude${d.error ? `: ${d.error.message}${/[.!?]$/.test(d.error.message) ? '' : '.'}` : '.'} Memory was not changed.`
    case 'canceled':
      return 'The dream was canceled. Memory was not changed.'
    default:
      return 'Claude reports a status this version of Reverie does not know yet; checking again…'
  }
}
