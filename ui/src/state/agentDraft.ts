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
  limits: LimitsDraft
}

/** An agent's run limits as typed: whole turns, minutes, dollars (empty: no cap), output tokens. */
export interface LimitsDraft {
  max_turns: string
  max_minutes: string
  max_cost_usd: string
  max_output_tokens: string
}

/** The engine's defaults (`runtime::Limits::default`). */
export const DEFAULT_LIMITS = { max_turns: 30, max_minutes: 30, max_cost_usd: null as number | null, max_output_tokens: 200_000 }

function settingsOf(agent: Agent): Record<string, unknown> {
  return agent.settings && typeof agent.settings === 'object' ? (agent.settings as Record<string, unknown>) : {}
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** The limits in force for an agent (its settings over the defaults). */
export function limitsOf(agent: Agent) {
  const s = settingsOf(agent)
  const seconds = num(s.max_wall_seconds)
  return {
    max_turns: num(s.max_turns) ?? DEFAULT_LIMITS.max_turns,
    max_minutes: seconds !== undefined ? Math.round((seconds / 60) * 100) / 100 : DEFAULT_LIMITS.max_minutes,
    max_cost_usd: num(s.max_cost_usd) ?? DEFAULT_LIMITS.max_cost_usd,
    max_output_tokens: num(s.max_output_tokens) ?? DEFAULT_LIMITS.max_output_tokens,
  }
}

function limitsDraft(agent: Agent): LimitsDraft {
  const l = limitsOf(agent)
  return {
    max_turns: String(l.max_turns),
    max_minutes: String(l.max_minutes),
    max_cost_usd: l.max_cost_usd === null ? '' : String(l.max_cost_usd),
    max_output_tokens: String(l.max_output_tokens),
  }
}

type Parsed = { max_turns: number; max_minutes: number; max_cost_usd: number | null; max_output_tokens: number }

/**
 * The limits as numbers, or one sentence per field that is not right (the
 * same ranges the engine enforces on `reverie agent update`).
 */
export function parseLimits(d: LimitsDraft): { ok: Parsed } | { errors: Partial<Record<keyof LimitsDraft, string>> } {
  const errors: Partial<Record<keyof LimitsDraft, string>> = {}
  const clean = (t: string) => t.replace(/[,_\s$]/g, '')
  const turns = Number(clean(d.max_turns))
  if (!/^\d+$/.test(clean(d.max_turns)) || turns < 1 || turns > 1000) errors.max_turns = 'Turns: a whole number from 1 to 1000.'
  const minutes = Number(clean(d.max_minutes))
  if (!clean(d.max_minutes) || !Number.isFinite(minutes) || minutes <= 0 || minutes > 1440)
    errors.max_minutes = 'Minutes: more than 0 and at most 1440 (a day).'
  const costText = clean(d.max_cost_usd)
  const cost = costText ? Number(costText) : null
  if (cost !== null && (!Number.isFinite(cost) || cost <= 0)) errors.max_cost_usd = 'Cost: an amount in dollars above 0, like 0.50, or empty for no cap.'
  const tokens = Number(clean(d.max_output_tokens))
  if (!/^\d+$/.test(clean(d.max_output_tokens)) || tokens < 100) errors.max_output_tokens = 'Output: a whole number of tokens, at least 100.'
  if (Object.keys(errors).length > 0) return { errors }
  return { ok: { max_turns: turns, max_minutes: minutes, max_cost_usd: cost, max_output_tokens: tokens } }
}

/** The agent's settings with the draft's limits, or undefined when they are as saved (or not valid). */
function settingsChange(agent: Agent, d: LimitsDraft): Record<string, unknown> | undefined {
  const parsed = parseLimits(d)
  if (!('ok' in parsed)) return undefined
  const now = limitsOf(agent)
  const p = parsed.ok
  if (
    p.max_turns === now.max_turns &&
    p.max_minutes === now.max_minutes &&
    p.max_cost_usd === now.max_cost_usd &&
    p.max_output_tokens === now.max_output_tokens
  )
    return undefined
  const next: Record<string, unknown> = { ...settingsOf(agent) }
  next.max_turns = p.max_turns
  next.max_wall_seconds = Math.round(p.max_minutes * 60)
  next.max_output_tokens = p.max_output_tokens
  if (p.max_cost_usd === null) delete next.max_cost_usd
  else next.max_cost_usd = p.max_cost_usd
  return next
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
    limits: limitsDraft(agent),
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
  const settings = settingsChange(agent, draft.limits)
  if (settings) update.settings = settings
  return update
}

export function isDirty(agent: Agent, draft: AgentDraft): boolean {
  const limits = limitsDraft(agent)
  const limitsTouched = (Object.keys(limits) as (keyof LimitsDraft)[]).some((k) => limits[k] !== draft.limits[k])
  return Object.keys(changes(agent, draft)).length > 0 || (limitsTouched && !('ok' in parseLimits(draft.limits)))
}

/** Turns a tool on or off, keeping the order tools are listed in. */
export function toggleTool(tools: string[], id: string, on: boolean): string[] {
  const next = new Set(tools)
  if (on) next.add(id)
  else next.delete(id)
  const known: string[] = TOOLS.map((t) => t.id)
  return [...known.filter((t) => next.has(t)), ...[...next].filter((t) => !known.includes(t))]
}
