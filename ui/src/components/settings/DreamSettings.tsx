/**
 * Settings › Dreams: pause or resume the dream schedule (for every process
 * sharing the data folder, the tray included), when each agent dreams next,
 * the schedule new agents start with (`dream.default_schedule`) and the
 * token budget a dream's model calls may use (`dream.budget_tokens`).
 */
import { useEffect, useId, useState, type FormEvent } from 'react'
import { Link } from 'wouter'
import { ApiError, call, subscribe } from '../../api'
import { describeNext, describeSchedule, formatTokens, parseBudget, tokensCost } from '../../state/schedule'
import { useCall } from '../../state/useCall'
import { ScheduleField } from '../agents/ScheduleField'
import { DEFAULT_NIGHTLY } from '../agents/newAgentDefaults'
import { NoteLine } from '../NoteLine'

export const DEFAULT_SCHEDULE_KEY = 'dream.default_schedule'
export const BUDGET_KEY = 'dream.budget_tokens'

function sentence(e: unknown) {
  return e instanceof ApiError ? e.message : String(e)
}

export function DreamSettings() {
  const ids = useId()
  const [refresh, setRefresh] = useState(0)
  const status = useCall('dreams.schedule_status', {}, refresh)
  const savedSchedule = useCall('settings.get', { key: DEFAULT_SCHEDULE_KEY })
  const savedBudget = useCall('settings.get', { key: BUDGET_KEY })
  // Money beside tokens, at the default Anthropic model's price (from the price table, no server asked).
  const defaultModel = useCall('settings.get', { key: 'defaults.model.anthropic' })
  const priceModel = defaultModel.status === 'ok' ? defaultModel.data || 'claude-sonnet-4-5' : undefined
  const [price, setPrice] = useState<{ model: string; input: number }>()
  useEffect(() => {
    if (!priceModel) return
    let live = true
    call('models.price', { model: priceModel }).then(
      (p) => live && p && setPrice({ model: p.model, input: p.input_usd_per_mtok }),
      () => {},
    )
    return () => {
      live = false
    }
  }, [priceModel])
  const money = (tokens: number) => (price ? ` (${tokensCost(tokens, price.input)} per call with ${price.model})` : '')
  const [schedule, setSchedule] = useState<string>()
  const [budget, setBudget] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState<{ ok: boolean; text: string; where: 'pause' | 'defaults' }>()

  // The tray (or another window) may pause the schedule too.
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'dream_schedule') setRefresh((n) => n + 1)
      }),
    [],
  )

  // Nothing saved yet: new agents dream nightly at 03:00 (what onboarding promises).
  const scheduleValue = schedule ?? (savedSchedule.status === 'ok' ? (savedSchedule.data ?? DEFAULT_NIGHTLY) : '')
  const budgetValue = budget ?? (savedBudget.status === 'ok' ? (savedBudget.data ?? '') : '')
  const min = status.status === 'ok' ? status.data.min_budget_tokens : 4000
  const parsedBudget = parseBudget(budgetValue, min)

  const toggle = async () => {
    if (status.status !== 'ok') return
    setBusy(true)
    setNote(undefined)
    try {
      const next = await call(status.data.paused ? 'dreams.resume' : 'dreams.pause', {})
      setNote({
        ok: true,
        text: next.paused
          ? 'Scheduled dreams are paused. Dream now still works.'
          : 'Scheduled dreams are on again.',
        where: 'pause',
      })
      setRefresh((n) => n + 1)
    } catch (e) {
      setNote({ ok: false, text: sentence(e), where: 'pause' })
    } finally {
      setBusy(false)
    }
  }

  const saveDefaults = async (event: FormEvent) => {
    event.preventDefault()
    if (parsedBudget && 'error' in parsedBudget) return
    setBusy(true)
    setNote(undefined)
    try {
      const text = scheduleValue.trim()
      if (text) await call('schedule.validate', { schedule: text })
      await call('settings.set', { key: DEFAULT_SCHEDULE_KEY, value: text })
      await call('settings.set', { key: BUDGET_KEY, value: parsedBudget ? String(parsedBudget.tokens) : '' })
      setNote({ ok: true, text: 'Dream defaults saved.', where: 'defaults' })
    } catch (e) {
      setNote({ ok: false, text: sentence(e), where: 'defaults' })
    } finally {
      setBusy(false)
    }
  }

  const message = (where: 'pause' | 'defaults') =>
    note?.where === where && <NoteLine note={note} okClassName="notice notice-ok" />

  return (
    <div className="settings-grid">
      {status.status === 'error' && (
        <p className="notice notice-error" role="alert">
          {status.error.message}
        </p>
      )}
      {status.status === 'ok' && (
        <>
          <div className="schedule-status">
            <p data-testid="schedule-state">
              {status.data.paused
                ? 'Scheduled dreams are paused.'
                : 'Scheduled dreams are on: each agent dreams at its own time when there is something new to review.'}
            </p>
            <button type="button" className="button" disabled={busy} onClick={() => void toggle()}>
              {status.data.paused ? 'Resume schedule' : 'Pause schedule'}
            </button>
          </div>
          {message('pause')}
          {status.data.agents.length === 0 ? (
            <p className="muted">No agents yet. Each agent you create can have its own dream time.</p>
          ) : (
            <table className="table" aria-label="Next dream per agent">
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Next dream</th>
                </tr>
              </thead>
              <tbody>
                {status.data.agents.map((a) => (
                  <tr key={a.agent}>
                    <th scope="row">
                      <Link to={`/agents/${encodeURIComponent(a.agent)}`}>{a.agent}</Link>
                    </th>
                    <td>{a.valid ? describeSchedule(a.schedule) : `“${a.schedule}” cannot be read; fix it on the agent`}</td>
                    <td>{status.data.paused && a.next ? 'Paused' : a.schedule ? describeNext(a.next) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <form className="form" onSubmit={(e) => void saveDefaults(e)} aria-labelledby={`${ids}-defaults`}>
        <h3 id={`${ids}-defaults`}>Defaults</h3>
        <ScheduleField
          label="Schedule for new agents"
          value={scheduleValue}
          onChange={setSchedule}
          emptyText="New agents have no schedule until you give them one."
        />
        <label className="field">
          <span>Budget per dream</span>
          <input
            inputMode="numeric"
            value={budgetValue}
            onChange={(e) => setBudget(e.target.value)}
            placeholder={status.status === 'ok' ? String(status.data.default_budget_tokens) : ''}
            autoComplete="off"
            aria-describedby={`${ids}-budget-hint`}
            aria-invalid={parsedBudget && 'error' in parsedBudget ? true : undefined}
          />
        </label>
        <p
          id={`${ids}-budget-hint`}
          className={parsedBudget && 'error' in parsedBudget ? 'field-hint field-hint-error' : 'field-hint'}
        >
          {parsedBudget && 'error' in parsedBudget
            ? parsedBudget.error
            : parsedBudget && 'tokens' in parsedBudget
              ? `${formatTokens(parsedBudget.tokens)}${money(parsedBudget.tokens)}: the most input tokens one dream may send, all its steps together. Sessions beyond it wait for the next dream; none is skipped.`
              : `The most input tokens one dream may send, all its steps together. Sessions beyond it wait for the next dream; none is skipped. ${
                  status.status === 'ok'
                    ? `Empty: ${formatTokens(status.data.default_budget_tokens)}${money(status.data.default_budget_tokens)}.`
                    : ''
                }`}
        </p>
        <div className="actions">
          <button type="submit" className="button" disabled={busy || Boolean(parsedBudget && 'error' in parsedBudget)}>
            Save dream defaults
          </button>
        </div>
        {message('defaults')}
      </form>
    </div>
  )
}
