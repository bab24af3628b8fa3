/**
 * The agent editor's "Before a dream is applied": how much worse the checks'
 * mean score may get, and how much time and money one run of the checks may
 * take. Saved on its own into the agent's settings (merged with the rest).
 */
import { useId, useState } from 'react'
import { call, type Agent } from '../../api'
import { useAction } from '../../state/useAction'
import { NoteLine } from '../NoteLine'

interface Fields {
  tolerance: string
  budget: string
  minutes: string
  concurrency: string
}

function settingsOf(agent: Agent): Record<string, unknown> {
  return agent.settings && typeof agent.settings === 'object' ? (agent.settings as Record<string, unknown>) : {}
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

export function fieldsOf(agent: Agent): Fields {
  const s = settingsOf(agent)
  return {
    tolerance: String(Math.round((num(s.gate_tolerance) ?? 0.05) * 100)),
    budget: num(s.gate_budget_usd) === undefined ? '' : String(s.gate_budget_usd),
    minutes: num(s.gate_max_minutes) === undefined ? '' : String(s.gate_max_minutes),
    concurrency: String(num(s.gate_concurrency) ?? 2),
  }
}

/** The settings to save, or one sentence saying what to fix. */
export function parseFields(f: Fields): { settings: Record<string, number | null> } | { error: string } {
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
  return { settings: { gate_tolerance: tolerance / 100, gate_budget_usd: budget, gate_max_minutes: minutes, gate_concurrency: concurrency } }
}

export function GateSettings({ agent, onSaved }: { agent: Agent; onSaved: (agent: Agent) => void }) {
  const ids = useId()
  const [fields, setFields] = useState(() => fieldsOf(agent))
  const { busy, note, setNote, run } = useAction()
  const set = (patch: Partial<Fields>) => {
    setFields({ ...fields, ...patch })
    setNote(undefined)
  }
  const save = () => {
    const parsed = parseFields(fields)
    if ('error' in parsed) return setNote({ ok: false, text: parsed.error })
    void run(
      () => call('agents.update', { name: agent.name, update: { settings: { ...settingsOf(agent), ...parsed.settings } } }),
      'Saved how dreams are checked.',
      onSaved,
    )
  }
  const input = (key: keyof Fields, label: string, unit: string, help: string) => (
    <div className="field">
      <label htmlFor={`${ids}-${key}`}>{label}</label>
      <span className="limit-input">
        <input id={`${ids}-${key}`} inputMode="decimal" autoComplete="off" value={fields[key]} onChange={(e) => set({ [key]: e.target.value })} aria-describedby={`${ids}-${key}-hint`} />
        <span className="muted small">{unit}</span>
      </span>
      <p id={`${ids}-${key}-hint`} className="field-hint">
        {help}
      </p>
    </div>
  )
  return (
    <section className="editor-section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Before a dream is applied</h2>
      <p className="muted small">
        How strict the checks are: a dream whose checks do worse than this waits for your review instead of changing memory.
      </p>
      <div className="limits-grid">
        {input('tolerance', 'Allowed drop in mean score', 'points', 'Small drops happen by chance; 5 points is a good start.')}
        {input('budget', 'Cost cap for the checks', 'US dollars', 'Empty: no cap. The checks stop when their model cost reaches this.')}
        {input('minutes', 'Time for the checks', 'minutes', 'Empty: no limit.')}
        {input('concurrency', 'Checks at once', 'at a time', 'More is faster but costs more at once; 2 is the default.')}
      </div>
      <div className="actions">
        <button type="button" className="button button-small" disabled={busy} onClick={save}>
          {busy ? 'Saving…' : 'Save check settings'}
        </button>
        <NoteLine note={note} />
      </div>
    </section>
  )
}
