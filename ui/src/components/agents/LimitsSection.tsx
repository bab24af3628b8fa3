/**
 * The agent editor's "Limits": how far one run may go (turns, minutes,
 * dollars of model cost, output tokens), part of the editor's draft and
 * saved with it. A field says what is wrong only after it has been edited.
 * The same limits are set with `reverie agent update NAME --max-turns N
 * --max-minutes N --max-cost USD`; a run that reaches one names this place.
 */
import { useId, useState } from 'react'
import { parseLimits, type LimitsDraft } from '../../state/agentDraft'

const FIELDS: { key: keyof LimitsDraft; label: string; unit: string; help: string }[] = [
  { key: 'max_turns', label: 'Turns per run', unit: 'turns', help: 'Each model reply is a turn; 30 is plenty for most tasks.' },
  { key: 'max_minutes', label: 'Time per run', unit: 'minutes', help: 'A run stops after this long.' },
  { key: 'max_cost_usd', label: 'Cost cap per run', unit: 'US dollars', help: 'Empty: no cap. Reverie stops the run when the model cost reaches this.' },
  { key: 'max_output_tokens', label: 'Output per run', unit: 'tokens', help: 'The most text the model may write in one run.' },
]

export function LimitsSection({ value, onChange }: { value: LimitsDraft; onChange: (v: LimitsDraft) => void }) {
  const ids = useId()
  const [touched, setTouched] = useState<Partial<Record<keyof LimitsDraft, boolean>>>({})
  const parsed = parseLimits(value)
  const errors = 'errors' in parsed ? parsed.errors : {}
  return (
    <section className="editor-section" aria-labelledby={`${ids}-limits`} id="limits">
      <h2 id={`${ids}-limits`}>Limits</h2>
      <p className="muted small">How far one run of this agent may go before Reverie stops it and says which limit it reached.</p>
      <div className="limits-grid">
        {FIELDS.map(({ key, label, unit, help }) => {
          const error = touched[key] ? errors[key] : undefined
          return (
            <div className="field" key={key}>
              <label htmlFor={`${ids}-${key}`}>{label}</label>
              <span className="limit-input">
                <input
                  id={`${ids}-${key}`}
                  inputMode="decimal"
                  autoComplete="off"
                  value={value[key]}
                  onChange={(e) => {
                    setTouched((t) => ({ ...t, [key]: true }))
                    onChange({ ...value, [key]: e.target.value })
                  }}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={`${ids}-${key}-hint`}
                />
                <span className="muted small">{unit}</span>
              </span>
              <p id={`${ids}-${key}-hint`} className={error ? 'field-hint field-hint-error' : 'field-hint'} data-testid={`limit-hint-${key}`}>
                {error ?? help}
              </p>
            </div>
          )
        })}
      </div>
    </section>
  )
}
