/** A router for a screen part that only needs its links to work (see renderRouted.tsx). */
import { useState, type ReactNode } from 'react'
import { Router } from 'wouter'
import { testLocation } from './renderRouted'

export function MemoryRouter({ children, path = '/' }: { children: ReactNode; path?: string }) {
  const [location] = useState(() => testLocation(path))
  return <Router hook={location.hook}>{children}</Router>
}
