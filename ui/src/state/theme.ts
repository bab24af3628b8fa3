/**
 * The colour theme: follow the OS ("system") or a choice the user made,
 * remembered in localStorage and written to <html data-theme>. It owns that
 * preference; the colours themselves live in styles/tokens.css.
 */
import { useSyncExternalStore } from 'react'

export type ThemePreference = 'system' | 'light' | 'dark'
export type Theme = 'light' | 'dark'

export const THEME_KEY = 'reverie.theme'
const DARK_QUERY = '(prefers-color-scheme: dark)'

const listeners = new Set<() => void>()

function readPreference(): ThemePreference {
  try {
    const stored = window.localStorage.getItem(THEME_KEY)
    if (stored === 'light' || stored === 'dark') return stored
  } catch {
    // Storage can be unavailable (private mode); the OS theme still applies.
  }
  return 'system'
}

function systemTheme(): Theme {
  return window.matchMedia?.(DARK_QUERY).matches ? 'dark' : 'light'
}

let preference: ThemePreference = typeof window === 'undefined' ? 'system' : readPreference()

/** Writes the preference to the document: no attribute means "follow the OS". */
export function applyTheme(): void {
  const root = document.documentElement
  if (preference === 'system') delete root.dataset.theme
  else root.dataset.theme = preference
}

export function getPreference(): ThemePreference {
  return preference
}

/** The theme actually shown now. */
export function resolvedTheme(): Theme {
  return preference === 'system' ? systemTheme() : preference
}

export function setPreference(next: ThemePreference): void {
  preference = next
  try {
    if (next === 'system') window.localStorage.removeItem(THEME_KEY)
    else window.localStorage.setItem(THEME_KEY, next)
  } catch {
    // Not remembered across restarts, but applied now.
  }
  applyTheme()
  listeners.forEach((notify) => notify())
}

/** Flips between light and dark, leaving "follow the OS". */
export function toggleTheme(): void {
  setPreference(resolvedTheme() === 'dark' ? 'light' : 'dark')
}

function subscribe(notify: () => void): () => void {
  listeners.add(notify)
  const media = window.matchMedia?.(DARK_QUERY)
  media?.addEventListener('change', notify)
  return () => {
    listeners.delete(notify)
    media?.removeEventListener('change', notify)
  }
}

/** The preference and the theme shown, re-rendering when either changes. */
export function useTheme(): { preference: ThemePreference; theme: Theme } {
  const current = useSyncExternalStore(subscribe, () => `${preference}:${resolvedTheme()}`)
  const [pref, theme] = current.split(':') as [ThemePreference, Theme]
  return { preference: pref, theme }
}

/** Re-reads storage; for tests that start from a clean slate. */
export function reloadPreference(): void {
  preference = readPreference()
  applyTheme()
  listeners.forEach((notify) => notify())
}
