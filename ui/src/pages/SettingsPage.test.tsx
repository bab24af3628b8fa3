import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../test/MemoryRouter'
import { describe, expect, test } from 'vitest'
import { SettingsPage } from './SettingsPage'

describe('Settings', () => {
  test('the theme choice applies at once and "System" returns to following the OS', async () => {
    const user = userEvent.setup()
    render(
      <MemoryRouter>
        <SettingsPage />
      </MemoryRouter>,
    )
    expect(screen.getByRole('radio', { name: 'System' })).toBeChecked()
    await user.click(screen.getByRole('radio', { name: 'Dark' }))
    expect(document.documentElement.dataset.theme).toBe('dark')
    await user.click(screen.getByRole('radio', { name: 'System' }))
    expect(document.documentElement.dataset.theme).toBeUndefined()
  })

  test('says plainly that no engine is connected outside the app', () => {
    render(
      <MemoryRouter>
        <SettingsPage />
      </MemoryRouter>,
    )
    expect(screen.getByTestId('engine-transport')).toHaveTextContent(/^Not connected to an engine/)
  })
})
