/**
 * The agent editor's "Before a dream is applied": how much worse the checks'
 * mean score may get, and how much time and money one run of the checks may
 * take. Saved on its own into the agent's settings (merged with the rest).
 */
import { useId, useState } from 'react'
import { call, type Agent } from '../../api'
import { fieldsOf, parseFields, settingsOf, type GateFields as Fields } from '../../state/gateSettings'
import { useAction } from '../../state/useAction'
import { NoteLine } from '../NoteLine'

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
        {input('tolerance', 'Allowed drop in mean score', 'points', 'Small drops happen by chance; 2 points is the default.')}
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
