/**
 * Words for dream schedules and times: "Tonight at 03:00", "Tomorrow at
 * 03:00", "Mon 1 Dec at 03:00", and the schedule presets Settings and the
 * agent editor offer. Formatting only; the engine parses schedules.
 */

const pad = (n: number) => String(n).padStart(2, '0')

function sameDay(a: Date, b: Date) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()
}

/** When a dream comes next, in the machine's local time, relative to `now`. */
export function describeNext(iso: string | null, now: Date = new Date(), locale?: string): string {
  if (!iso) return 'Not scheduled'
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return 'Not scheduled'
  // The system's own way of writing times and dates (24 h or am/pm, day order).
  const time = at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
  if (sameDay(at, now)) return at.getHours() >= 18 || at.getHours() < 5 ? `Tonight at ${time}` : `Today at ${time}`
  const tomorrow = new Date(now)
  tomorrow.setDate(now.getDate() + 1)
  if (sameDay(at, tomorrow)) return `Tomorrow at ${time}`
  const day = at.toLocaleDateString(locale, { weekday: 'short', day: 'numeric', month: 'short' })
  return `${day} at ${time}`
}

/** A schedule as people say it: "Every day at 03:00", or the cron text as is. */
export function describeSchedule(text: string | null): string {
  if (!text || !text.trim()) return 'No schedule'
  const t = text.trim().replace(/^daily\s+/, '')
  const match = /^(\d{1,2}):(\d{2})$/.exec(t)
  if (match) return `Every day at ${pad(Number(match[1]))}:${match[2]}`
  return `Cron: ${t.replace(/^cron\s+/, '')}`
}

/** Tokens as people read them: 150,000 tokens. */
export function formatTokens(n: number): string {
  return `${n.toLocaleString('en-US')} tokens`
}

/** Parses a budget field: a whole number of tokens at least `min`, or a sentence saying what to type. */
export function parseBudget(text: string, min: number): { tokens: number } | { error: string } | null {
  const t = text.replace(/[,_\s]/g, '')
  if (!t) return null
  if (!/^\d+$/.test(t)) return { error: 'Type a whole number of tokens, like 150000.' }
  const tokens = Number(t)
  if (tokens < min) return { error: `Give at least ${min.toLocaleString('en-US')} tokens; a dream needs room to read.` }
  return { tokens }
}

/** Money beside tokens: "about $0.45" for `tokens` input tokens at `usdPerMtok`. */
export function tokensCost(tokens: number, usdPerMtok: number): string {
  const usd = (tokens * usdPerMtok) / 1_000_000
  const text = usd >= 1 ? usd.toFixed(2) : usd >= 0.01 ? usd.toFixed(2) : usd.toFixed(3)
  return `about $${text}`
}

const TIME = /^(?:daily\s+)?(\d{1,2}):(\d{2})$/

/** "03:00" for a daily schedule, or undefined for a custom one. */
export function dailyTime(value: string): string | undefined {
  const match = TIME.exec(value.trim())
  return match ? `${match[1].padStart(2, '0')}:${match[2]}` : undefined
}
