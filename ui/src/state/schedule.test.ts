import { describe, expect, test } from 'vitest'
import { describeNext, describeSchedule, parseBudget, tokensCost } from './schedule'

describe('schedule words', () => {
  const now = new Date(2026, 10, 26, 14, 0)

  test('the next dream relative to now, in local time, written the way the system writes dates', () => {
    expect(describeNext(new Date(2026, 10, 26, 23, 30).toISOString(), now, 'en-GB')).toBe('Tonight at 23:30')
    expect(describeNext(new Date(2026, 10, 26, 16, 5).toISOString(), now, 'en-GB')).toBe('Today at 16:05')
    expect(describeNext(new Date(2026, 10, 27, 3, 0).toISOString(), now, 'en-GB')).toBe('Tomorrow at 03:00')
    expect(describeNext(new Date(2026, 11, 1, 3, 0).toISOString(), now, 'en-GB')).toBe('Tue 1 Dec at 03:00')
    // A US system: am/pm and month first.
    expect(describeNext(new Date(2026, 10, 26, 23, 30).toISOString(), now, 'en-US')).toBe('Tonight at 11:30 PM')
    expect(describeNext(new Date(2026, 11, 1, 3, 0).toISOString(), now, 'en-US')).toBe('Tue, Dec 1 at 03:00 AM')
    expect(describeNext(null, now)).toBe('Not scheduled')
    expect(describeNext('soon', now)).toBe('Not scheduled')
  })

  test('schedules as people say them', () => {
    expect(describeSchedule('3:00')).toBe('Every day at 03:00')
    expect(describeSchedule('daily 23:15')).toBe('Every day at 23:15')
    expect(describeSchedule('cron 0 3 * * 1-5')).toBe('Cron: 0 3 * * 1-5')
    expect(describeSchedule(null)).toBe('No schedule')
  })

  test('a budget is a whole number of tokens above the minimum', () => {
    expect(parseBudget('', 4000)).toBeNull()
    expect(parseBudget('60,000', 4000)).toEqual({ tokens: 60000 })
    expect(parseBudget('lots', 4000)).toEqual({ error: 'Type a whole number of tokens, like 150000.' })
    expect(parseBudget('1.5', 4000)).toHaveProperty('error')
    expect(parseBudget('100', 4000)).toEqual({ error: 'Give at least 4,000 tokens; a dream needs room to read.' })
  })

  test('money beside tokens', () => {
    expect(tokensCost(150_000, 3)).toBe('about $0.45')
    expect(tokensCost(4_000, 0.8)).toBe('about $0.003')
    expect(tokensCost(1_000_000, 15)).toBe('about $15.00')
  })
})
