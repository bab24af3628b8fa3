/**
 * The agent editor's draft: the editable fields of an agent as form values,
 * and the smallest `agents.update` that turns the saved agent into the
 * draft. Data only; it never calls the engine.
 */
import type { Agent, AgentUpdate, DreamPolicy, ProviderKind } from '../api'

/** The tools a person can switch on; delegation comes from the roster instead. */
export const TOOLS = [
  { id: 'memory', label: 'Memory', help: 'Reads and writes its memory stores.' },
  { id: 'workspace', label: 'Workspace', help: 'Reads and writes files in the session’s workspace folder.' },
] as const

export interface AgentDraft {
  provider: ProviderKind
  model: string
  system_prompt: string
  tools: string[]
  default_rubric_id: string
  dream_policy: DreamPolicy
  dream_schedule: string
}

export function draftFrom(agent: Agent): AgentDraft {
  return {
    provider: agent.provider,
    model: agent.model,
    system_prompt: agent.system_prompt,
    tools: [...agent.tools],
    default_rubric_id: agent.default_rubric_id ?? '',
    dream_policy: agent.dream_policy,
    dream_schedule: agent.dream_schedule ?? '',
  }
}

const sameTools = (a: string[], b: string[]) => a.length === b.length && a.every((t) => b.includes(t))

/** Only the fields that differ; an empty rubric or schedule clears it. */
export function changes(agent: Agent, draft: AgentDraft): AgentUpdate {
  const update: AgentUpdate = {}
  if (draft.provider !== agent.provider) update.provider = draft.provider
  if (draft.model.trim() !== agent.model) update.model = draft.model.trim()
  if (draft.system_prompt !== agent.system_prompt) update.system_prompt = draft.system_prompt
  if (!sameTools(draft.tools, agent.tools)) update.tools = draft.tools
  const rubric = draft.default_rubric_id || null
  if (rubric !== agent.default_rubric_id) update.default_rubric_id = rubric
  if (draft.dream_policy !== agent.dream_policy) update.dream_policy = draft.dream_policy
  const schedule = draft.dream_schedule.trim() || null
  if (schedule !== (agent.dream_schedule ?? null)) update.dream_schedule = schedule
  return update
}

export function isDirty(agent: Agent, draft: AgentDraft): boolean {
  return Object.keys(changes(agent, draft)).length > 0
}

/** Turns a tool on or off, keeping the order tools are listed in. */
export function toggleTool(tools: string[], id: string, on: boolean): string[] {
  const next = new Set(tools)
  if (on) next.add(id)
  else next.delete(id)
  const known: string[] = TOOLS.map((t) => t.id)
  return [...known.filter((t) => next.has(t)), ...[...next].filter((t) => !known.includes(t))]
}
