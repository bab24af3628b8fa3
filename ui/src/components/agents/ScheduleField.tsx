/**
 * A dream schedule field: a switch ("Dream every night") and a plain time
 * picker; a custom schedule (a cron expression) only under "Advanced". The
 * value is checked by the engine's own schedule parser as the person types
 * (after a short pause), with the next dream in words or the engine's
 * sentence on what to type. Empty means no schedule. Used by the agent
 * editor and Settings' default schedule.
 */
import { useEffect, useId, useState } from 'react'
import { ApiError, call } from '../../api'
import { dailyTime, describeNext } from '../../state/schedule'

type Check = { state: 'idle' } | { state: 'ok'; next: string | null } | { state: 'error'; message: string }

export function ScheduleField({
  label,
  value,
  onChange,
  emptyText = 'No schedule: this agent dreams only when you ask.',
}: {
  label: string
  value: string
  onChange: (value: string) => void
  emptyText?: string
}) {
  const ids = useId()
  const [check, setCheck] = useState<{ text: string; result: Check }>()

  useEffect(() => {
    const text = value.trim()
    if (!text) return
    let current = true
    const timer = setTimeout(() => {
      call('schedule.validate', { schedule: text }).then(
        (r) => current && setCheck({ text, result: { state: 'ok', next: r.next } }),
        (e: unknown) =>
          current &&
          setCheck({ text, result: { state: 'error', message: e instanceof ApiError ? e.message : String(e) } }),
      )
    }, 250)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [value])

  const text = value.trim()
  const result: Check = !text ? { state: 'idle' } : check?.text === text ? check.result : { state: 'idle' }
  const hint =
    !text
      ? emptyText
      : result.state === 'ok'
        ? `Next dream: ${describeNext(result.next)}.`
        : result.state === 'error'
          ? capitalise(result.message) + '.'
          : 'Checking…'

  const on = text !== ''
  const time = dailyTime(value)
  const custom = on && time === undefined
  const [lastTime, setLastTime] = useState(time ?? '03:00')

  return (
    <fieldset className="field schedule-field">
      <legend>{label}</legend>
      <div className="schedule-row">
        <label className="check">
          <input
            type="checkbox"
            checked={on}
            onChange={(e) => onChange(e.target.checked ? lastTime : '')}
          />
          <span>Dream every night at</span>
        </label>
        <input
          type="time"
          aria-label={`${label}: time`}
          value={time ?? lastTime}
          disabled={!on || custom}
          onChange={(e) => {
            if (!e.target.value) return
            setLastTime(e.target.value)
            onChange(e.target.value)
          }}
          aria-describedby={`${ids}-hint`}
        />
      </div>
      <details className="advanced" open={custom || undefined}>
        <summary>Advanced: a custom schedule</summary>
        <label htmlFor={`${ids}-input`}>Custom schedule (cron)</label>
        <input
          id={`${ids}-input`}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder="e.g. 0 3 * * 1-5 (weekdays at 03:00)"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${ids}-hint`}
          aria-invalid={result.state === 'error' ? true : undefined}
        />
      </details>
      <p
        id={`${ids}-hint`}
        className={result.state === 'error' ? 'field-hint field-hint-error' : 'field-hint'}
        data-testid="schedule-hint"
        aria-live="polite"
      >
        {hint}
      </p>
    </fieldset>
  )
}

function capitalise(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/\.$/, '')
}
