import { describe, expect, it } from 'vitest'
import { screenFor } from './screenLoaders'
import { screens } from './screens'

describe('screenFor', () => {
  it('names the screen each address opens', () => {
    expect(screenFor('/')).toBe('agents')
    expect(screenFor('/agents')).toBe('agents')
    expect(screenFor('/agents/writer')).toBe('agentEditor')
    expect(screenFor('/sessions')).toBe('sessions')
    expect(screenFor('/sessions/01JABCDEF')).toBe('timeline')
    expect(screenFor('/welcome')).toBe('onboarding')
    expect(screenFor('/settings')).toBe('settings')
    expect(screenFor('/nowhere')).toBeUndefined()
  })

  it('knows every screen in the sidebar', () => {
    for (const { path } of screens) expect(screenFor(path), path).toBeDefined()
  })
})
