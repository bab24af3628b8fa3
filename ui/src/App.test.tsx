import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Router } from 'wouter'
import { describe, expect, test } from 'vitest'
import { routes } from './App'
import { testLocation } from './test/renderRouted'

function renderAt(path: string) {
  return render(
    <Router hook={testLocation(path).hook}>{routes}</Router>,
  )
}

const SCREENS = ['Agents', 'Sessions', 'Memory', 'Dreams', 'Rubrics', 'Settings']

describe('app shell', () => {
  test('opens on Agents and, with no engine connected, says how to connect one', async () => {
    renderAt('/')
    expect(await screen.findByRole('heading', { level: 1 })).toHaveTextContent('Agents')
    expect(await screen.findByRole('alert')).toHaveTextContent(/Not connected to an engine: open the Reverie app/)
  })

  test('the sidebar lists every screen and marks the current one', () => {
    renderAt('/dreams')
    const nav = screen.getByRole('navigation', { name: 'Main' })
    const links = within(nav).getAllByRole('link')
    expect(links.map((link) => link.textContent)).toEqual(SCREENS)
    expect(within(nav).getByRole('link', { name: 'Dreams' })).toHaveAttribute('aria-current', 'page')
    expect(within(nav).getByRole('link', { name: 'Agents' })).not.toHaveAttribute('aria-current')
  })

  test('arrow keys move through the sidebar and Enter opens a screen whose heading takes focus', async () => {
    const user = userEvent.setup()
    renderAt('/agents')
    await screen.findByRole('heading', { level: 1, name: 'Agents' })
    const nav = screen.getByRole('navigation', { name: 'Main' })
    within(nav).getByRole('link', { name: 'Agents' }).focus()
    await user.keyboard('{ArrowDown}{ArrowDown}')
    expect(document.activeElement).toHaveTextContent('Memory')
    await user.keyboard('{ArrowUp}{ArrowUp}{ArrowUp}')
    expect(document.activeElement).toHaveTextContent('Settings')
    await user.keyboard('{Home}')
    expect(document.activeElement).toHaveTextContent('Agents')
    await user.keyboard('{End}{Enter}')
    const heading = await screen.findByRole('heading', { level: 1, name: 'Settings' })
    expect(heading).toHaveTextContent('Settings')
    // The screen's heading takes focus once it has loaded (an effect).
    await waitFor(() => expect(heading).toHaveFocus())
  })

  test('every screen has its own heading and an honest empty state or settings', async () => {
    for (const name of SCREENS) {
      const { unmount } = renderAt(`/${name.toLowerCase()}`)
      expect(await screen.findByRole('heading', { level: 1, name })).toHaveTextContent(name)
      await waitFor(() => expect(document.title).toBe(`${name} · Reverie`))
      unmount()
    }
  })

  test('an unknown address shows the way back', () => {
    renderAt('/nowhere')
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Not found')
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Agents' })).toHaveAttribute(
      'href',
      '/agents',
    )
  })
})
