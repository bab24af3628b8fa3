/**
 * What Settings says every new agent starts with, applied right after
 * `agents.create`: the default dream schedule (`dream.default_schedule`;
 * nightly at 03:00 until Settings says otherwise, as onboarding promises).
 * A failure leaves the agent as created and is returned as a sentence.
 */
import { ApiError, call, type Agent } from '../../api'

/** The schedule new agents get when Settings has none saved. */
export const DEFAULT_NIGHTLY = '03:00'

export async function applyNewAgentDefaults(agent: Agent): Promise<{ agent: Agent; error?: string }> {
  try {
    const saved = await call('settings.get', { key: 'dream.default_schedule' })
    const schedule = (saved ?? DEFAULT_NIGHTLY).trim()
    if (!schedule || agent.dream_schedule) return { agent }
    return { agent: await call('agents.update', { name: agent.name, update: { dream_schedule: schedule } }) }
  } catch (e) {
    return { agent, error: e instanceof ApiError ? e.message : String(e) }
  }
}
