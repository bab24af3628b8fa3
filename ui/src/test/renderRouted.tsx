/** Renders a screen part inside a data router, as the app does (see App.tsx). */
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { createMemoryRouter, RouterProvider } from 'react-router'

export function renderRouted(element: ReactElement, path = '/') {
  const router = createMemoryRouter([{ path: '*', element }], { initialEntries: [path] })
  return { router, ...render(<RouterProvider router={router} />) }
}
