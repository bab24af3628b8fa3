import { describe, expect, test } from 'vitest'
import type { KeyStatus } from '../api'
import { loadProgress, resumeAt, saveProgress, shouldOffer } from './onboarding'

const noKey: KeyStatus = { provider: 'anthropic', available: false, source: null }
const key: KeyStatus = { provider: 'anthropic', available: true, source: 'keychain', hint: '…abcd' }

describe('onboarding', () => {
  test('is offered only to a fresh install nobody has set up or skipped', () => {
    const fresh = { agents: 0, anthropic: noKey, openaiBaseUrl: null }
    expect(shouldOffer(fresh, { step: 1 })).toBe(true)
    expect(shouldOffer(fresh, { step: 1, closed: true })).toBe(false)
    expect(shouldOffer({ ...fresh, anthropic: key }, { step: 1 })).toBe(false)
    expect(shouldOffer({ ...fresh, openaiBaseUrl: 'http://127.0.0.1:11434/v1' }, { step: 1 })).toBe(false)
    expect(shouldOffer({ ...fresh, openaiBaseUrl: '  ' }, { step: 1 })).toBe(true)
    expect(shouldOffer({ ...fresh, agents: 1 }, { step: 1 })).toBe(false)
  })

  test('resumes never before what is done and never past what is not', () => {
    const none = { agents: 0, anthropic: noKey, openaiBaseUrl: null }
    const connected = { ...none, anthropic: key }
    expect(resumeAt(none, { step: 3, agent: 'Writer' })).toBe(1)
    expect(resumeAt(connected, { step: 2 })).toBe(2)
    expect(resumeAt(connected, { step: 3 })).toBe(2)
    expect(resumeAt({ ...connected, agents: 1 }, { step: 3, agent: 'Writer' })).toBe(3)
    expect(resumeAt({ ...connected, agents: 1 }, { step: 1, agent: 'Writer' })).toBe(2)
  })

  test('progress survives a reload and unreadable progress starts over', () => {
    expect(loadProgress()).toEqual({ step: 1 })
    saveProgress({ step: 2, provider: 'openai', model: 'llama3.2' })
    expect(loadProgress()).toEqual({ step: 2, provider: 'openai', model: 'llama3.2' })
    window.localStorage.setItem('reverie.onboarding', '{not json')
    expect(loadProgress()).toEqual({ step: 1 })
    window.localStorage.setItem('reverie.onboarding', '{"step": 9}')
    expect(loadProgress()).toEqual({ step: 1 })
  })
})
