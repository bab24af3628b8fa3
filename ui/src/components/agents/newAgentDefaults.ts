/**
 * What Settings says every new agent starts with, applied right after
 * `agents.create`: the default dream schedule (`dream.default_schedule`).
 * A failure leaves the agent as created and is returned as a sentence.
 */
import { ApiError, call, type Agent } from '../../api'

export async function applyNewAgentDefaults(agent: Agent): Promise<{ agent: Agent; error?: string }> {
  try {
    const schedule = (await call('settings.get', { key: 'dream.default_schedule' }))?.trim()
    if (!schedule || agent.dream_schedule) return { agent }
    return { agent: await call('agents.update', { name: agent.name, update: { dream_schedule: schedule } }) }
  } catch (e) {
    return { agent, error: e instanceof ApiError ? e.message : String(e) }
  }
}
