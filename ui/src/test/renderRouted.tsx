/**
 * Renders a screen part inside a router, as the app does (see main.tsx),
 * on an in-memory location guarded like the app's (state/router.ts).
 */
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { Router } from 'wouter'
import { memoryLocation } from 'wouter/memory-location'
import { guarded, resetLocationEntry } from '../state/router'

/** An in-memory router at `path`; `location.path()` is where it is now. */
export function testLocation(path = '/') {
  const memory = memoryLocation({ path, record: true })
  resetLocationEntry()
  return { hook: guarded(memory.hook), path: () => memory.history!.at(-1)!.split('?')[0] }
}

export function renderRouted(element: ReactElement, path = '/') {
  const location = testLocation(path)
  return { location, ...render(<Router hook={location.hook}>{element}</Router>) }
}
