/** The sidebar's light/dark switch; Settings offers "follow the OS" too. */
import { toggleTheme, useTheme } from '../state/theme'
import { MoonIcon, SunIcon } from './icons'

export function ThemeToggle() {
  const { theme } = useTheme()
  const next = theme === 'dark' ? 'light' : 'dark'
  return (
    <button
      type="button"
      className="icon-button"
      onClick={toggleTheme}
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
    >
      {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
    </button>
  )
}
