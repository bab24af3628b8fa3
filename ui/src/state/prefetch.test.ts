import { afterEach, describe, expect, it, vi } from 'vitest'

const call = vi.fn()
vi.mock('../api', () => ({ call: (...args: unknown[]) => call(...args) }))
const { callOrTake, prefetch } = await import('./prefetch')

afterEach(() => {
  call.mockReset()
  vi.useRealTimers()
})

describe('prefetch', () => {
  it('hands the early answer to the screen once, whatever the key order', async () => {
    call.mockResolvedValueOnce('early').mockResolvedValue('again')
    prefetch('sessions.page', { id: 's1', offset: 0, limit: 200 })
    await expect(callOrTake('sessions.page', { limit: 200, offset: 0, id: 's1' })).resolves.toBe('early')
    await expect(callOrTake('sessions.page', { id: 's1', offset: 0, limit: 200 })).resolves.toBe('again')
    expect(call).toHaveBeenCalledTimes(2)
  })

  it('asks again for other params, and when the early answer is stale', async () => {
    vi.useFakeTimers()
    call.mockResolvedValueOnce('early').mockResolvedValue('fresh')
    prefetch('sessions.get', { id: 's1' })
    await expect(callOrTake('sessions.get', { id: 's2' })).resolves.toBe('fresh')
    vi.advanceTimersByTime(6000)
    await expect(callOrTake('sessions.get', { id: 's1' })).resolves.toBe('fresh')
  })

  it('keeps a failed early answer for the screen to report', async () => {
    call.mockRejectedValueOnce(new Error('engine down'))
    prefetch('sessions.get', { id: 's1' })
    await expect(callOrTake('sessions.get', { id: 's1' })).rejects.toThrow('engine down')
  })
})
