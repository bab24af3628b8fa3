/**
 * The left sidebar: the brand, one link per screen, and the theme switch.
 * Up/Down arrows (and Home/End) move between links, Enter opens one; Tab
 * leaves the list. It owns that navigation, not what the screens show.
 */
import type { KeyboardEvent } from 'react'
import { Link, useLocation } from 'wouter'
import { sidebarScreens } from '../routes'
import { BrandMark } from './BrandMark'
import * as icons from './icons'
import { ThemeToggle } from './ThemeToggle'

function moveFocus(event: KeyboardEvent<HTMLUListElement>) {
  const links = Array.from(event.currentTarget.querySelectorAll<HTMLAnchorElement>('a'))
  const index = links.indexOf(document.activeElement as HTMLAnchorElement)
  const last = links.length - 1
  const target = {
    ArrowDown: index < 0 || index === last ? 0 : index + 1,
    ArrowUp: index <= 0 ? last : index - 1,
    Home: 0,
    End: last,
  }[event.key]
  if (target === undefined) return
  event.preventDefault()
  links[target]?.focus()
}

export function Sidebar() {
  const [at] = useLocation()
  // A screen's link is current on the screen and below it (`/agents/x` → Agents).
  const current = (path: string) => {
    const here = at.toLowerCase()
    return here === path || here.startsWith(`${path}/`)
  }
  return (
    <header className="sidebar">
      <div className="brand">
        <BrandMark />
        <span>Reverie</span>
      </div>
      <nav aria-label="Main">
        <ul className="nav-list" onKeyDown={moveFocus}>
          {sidebarScreens.map(({ path, title, icon }) => {
            const Icon = icons[icon]
            return (
              <li key={path}>
                <Link to={path} className="nav-link" aria-current={current(path) ? 'page' : undefined}>
                  <Icon />
                  <span>{title}</span>
                </Link>
              </li>
            )
          })}
        </ul>
      </nav>
      <div className="sidebar-footer">
        <span>Theme</span>
        <ThemeToggle />
      </div>
    </header>
  )
}
