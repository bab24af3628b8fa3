/** Agents: the engine's stored agents, their rosters of subagents and attached memory stores. */

export type ProviderKind = 'anthropic' | 'openai'

/** An agent as the engine's store returns it. */
export interface Agent {
  id: string
  name: string
  provider: ProviderKind
  model: string
  system_prompt: string
  tools: string[]
  default_rubric_id: string | null
  dream_policy: 'review' | 'auto'
  dream_schedule: string | null
  settings: unknown
  stores: AttachedStore[]
  created_at: string
  updated_at: string
}

/** What `agents.create` takes. */
export interface NewAgent {
  name: string
  provider: ProviderKind
  model: string
  system_prompt: string
  tools: string[]
}

/** A memory store mounted in an agent's sessions, and how. */
export interface AttachedStore {
  store_id: string
  store_name: string
  access: 'read_only' | 'read_write'
}

export type DreamPolicy = 'review' | 'auto'

/** What `agents.update` changes; a missing field stays as it is, `null` clears. */
export interface AgentUpdate {
  provider?: ProviderKind
  model?: string
  system_prompt?: string
  tools?: string[]
  default_rubric_id?: string | null
  dream_policy?: DreamPolicy
  dream_schedule?: string | null
  /** Replaces the agent's settings (limits and other knobs) as a whole. */
  settings?: Record<string, unknown>
}

/** The `agents.*` methods: what each takes and returns. */
export interface AgentsMethods {
  'agents.list': { params: Record<string, never>; result: Agent[] }
  'agents.create': { params: NewAgent; result: Agent }
  'agents.get': { params: { name: string }; result: Agent }
  'agents.update': { params: { name: string; update: AgentUpdate }; result: Agent }
  'agents.delete': { params: { name: string }; result: { deleted: boolean } }
  'agents.roster': { params: { name: string }; result: Agent[] }
  'agents.roster_add': { params: { lead: string; member: string }; result: Agent[] }
  'agents.roster_remove': { params: { lead: string; member: string }; result: Agent[] }
  'agents.attach_store': {
    params: { agent: string; store: string; access: AttachedStore['access'] }
    result: Agent
  }
  'agents.detach_store': { params: { agent: string; store: string }; result: Agent }
}
