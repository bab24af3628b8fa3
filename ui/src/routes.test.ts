import { describe, expect, it, vi } from 'vitest'

const prefetch = vi.fn()
vi.mock('./state/prefetch', () => ({ prefetch: (...args: unknown[]) => prefetch(...args) }))
const { matchScreen, pathOf, preloadScreenFor, screens, sidebarScreens } = await import('./routes')

const opens = (pathname: string) => {
  const match = matchScreen(pathname)
  return match && { path: match.screen.path, params: match.params }
}

describe('matchScreen', () => {
  it('names the screen each address opens, with its parameters', () => {
    expect(opens('/')).toEqual({ path: '/agents', params: {} })
    expect(opens('')).toEqual({ path: '/agents', params: {} })
    expect(opens('/agents')).toEqual({ path: '/agents', params: {} })
    expect(opens('/agents/writer')).toEqual({ path: '/agents/:name', params: { name: 'writer' } })
    expect(opens('/agents/my%20writer')).toEqual({ path: '/agents/:name', params: { name: 'my writer' } })
    expect(opens('/sessions')).toEqual({ path: '/sessions', params: {} })
    expect(opens('/sessions/01JABCDEF/')).toEqual({ path: '/sessions/:id', params: { id: '01JABCDEF' } })
    expect(opens('/welcome')).toEqual({ path: '/welcome', params: {} })
    expect(opens('/Settings')).toEqual({ path: '/settings', params: {} })
    expect(opens('/nowhere')).toBeUndefined()
    expect(opens('/agents/writer/more')).toBeUndefined()
  })

  it('knows every screen by its own path, and the sidebar lists those with an icon', () => {
    for (const { path } of screens) {
      const sample = path.replace(/:\w+/g, 'x')
      expect(matchScreen(sample)?.screen.path, path).toBe(path)
    }
    expect(sidebarScreens.map((screen) => screen.title)).toEqual([
      'Agents',
      'Sessions',
      'Memory',
      'Dreams',
      'Rubrics',
      'Settings',
    ])
  })

  it('reads the path of a hash address', () => {
    expect(pathOf('#/sessions/ID?bridge=x')).toBe('/sessions/ID')
    expect(pathOf('')).toBe('')
  })
})

describe('preloadScreenFor', () => {
  it("starts a deep-linked timeline's first calls", () => {
    preloadScreenFor('#/sessions/01J%2FA?bridge=http://127.0.0.1:1')
    expect(prefetch).toHaveBeenCalledWith('sessions.get', { id: '01J/A' })
    expect(prefetch).toHaveBeenCalledWith('sessions.page', expect.objectContaining({ id: '01J/A', offset: 0 }))
  })

  it('asks the engine nothing for a screen without a head start, or an unknown address', () => {
    prefetch.mockClear()
    preloadScreenFor('#/settings')
    preloadScreenFor('#/nowhere')
    expect(prefetch).not.toHaveBeenCalled()
  })
})
