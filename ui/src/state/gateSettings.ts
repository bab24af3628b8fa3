/**
 * The agent settings for checking a dream before it is applied, as typed in
 * the editor (points, dollars, minutes, a count) and as saved (0–1, numbers,
 * null for none).
 */
import type { Agent } from '../api'

export interface GateFields {
  tolerance: string
  budget: string
  minutes: string
  concurrency: string
}

export function settingsOf(agent: Agent): Record<string, unknown> {
  return agent.settings && typeof agent.settings === 'object' ? (agent.settings as Record<string, unknown>) : {}
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

export function fieldsOf(agent: Agent): GateFields {
  const s = settingsOf(agent)
  return {
    tolerance: String(Math.round((num(s.gate_tolerance) ?? 0.02) * 100)),
    budget: num(s.gate_budget_usd) === undefined ? '' : String(s.gate_budget_usd),
    minutes: num(s.gate_budget_seconds) === undefined ? '' : String(Math.round((s.gate_budget_seconds as number) / 60)),
    concurrency: String(num(s.gate_concurrency) ?? 2),
  }
}

/** The settings to save, or one sentence saying what to fix. */
export function parseFields(f: GateFields): { settings: Record<string, number | null> } | { error: string } {
  const tolerance = Number(f.tolerance)
  if (f.tolerance.trim() === '' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 100) {
    return { error: 'The allowed drop is a number of points from 0 to 100.' }
  }
  const budget = f.budget.trim() === '' ? null : Number(f.budget)
  if (budget !== null && (!Number.isFinite(budget) || budget <= 0)) return { error: 'The budget is an amount in US dollars above 0, or empty for none.' }
  const minutes = f.minutes.trim() === '' ? null : Number(f.minutes)
  if (minutes !== null && (!Number.isFinite(minutes) || minutes <= 0)) return { error: 'The time limit is a number of minutes above 0, or empty for none.' }
  const concurrency = Number(f.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) return { error: 'Checks at once is a whole number from 1 to 16.' }
  return { settings: { gate_tolerance: tolerance / 100, gate_budget_usd: budget, gate_budget_seconds: minutes === null ? null : Math.round(minutes * 60), gate_concurrency: concurrency } }
}

