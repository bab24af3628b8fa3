import { act, renderHook } from '@testing-library/react'
import { beforeEach, describe, expect, test } from 'vitest'
import { THEME_KEY, getPreference, reloadPreference, setPreference, toggleTheme, useTheme } from './theme'

beforeEach(() => reloadPreference())

describe('theme', () => {
  test('follows the OS until the user picks a theme', () => {
    expect(getPreference()).toBe('system')
    expect(document.documentElement.dataset.theme).toBeUndefined()
  })

  test('a picked theme is written to <html> and remembered', () => {
    setPreference('dark')
    expect(document.documentElement.dataset.theme).toBe('dark')
    expect(window.localStorage.getItem(THEME_KEY)).toBe('dark')
    reloadPreference()
    expect(getPreference()).toBe('dark')
    setPreference('system')
    expect(document.documentElement.dataset.theme).toBeUndefined()
    expect(window.localStorage.getItem(THEME_KEY)).toBeNull()
  })

  test('ignores a stored value it does not know', () => {
    window.localStorage.setItem(THEME_KEY, 'sepia')
    reloadPreference()
    expect(getPreference()).toBe('system')
  })

  test('the toggle flips the shown theme and components re-render', () => {
    const { result } = renderHook(() => useTheme())
    expect(result.current).toEqual({ preference: 'system', theme: 'light' })
    act(() => toggleTheme())
    expect(result.current).toEqual({ preference: 'dark', theme: 'dark' })
    act(() => toggleTheme())
    expect(result.current).toEqual({ preference: 'light', theme: 'light' })
  })
})
