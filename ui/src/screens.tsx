/**
 * The app's screens, in sidebar order: path, label, icon and page. The router
 * and the sidebar both read this list, so a new screen is one entry here.
 */
import type { ComponentType } from 'react'
import {
  AgentsIcon,
  DreamsIcon,
  MemoryIcon,
  RubricsIcon,
  SessionsIcon,
  SettingsIcon,
} from './components/icons'
import { AgentsPage, DreamsPage, MemoryPage, RubricsPage, SessionsPage, SettingsPage } from './lazyPages'

export interface Screen {
  path: string
  label: string
  Icon: ComponentType
  Page: ComponentType
}

export const screens: Screen[] = [
  { path: '/agents', label: 'Agents', Icon: AgentsIcon, Page: AgentsPage },
  { path: '/sessions', label: 'Sessions', Icon: SessionsIcon, Page: SessionsPage },
  { path: '/memory', label: 'Memory', Icon: MemoryIcon, Page: MemoryPage },
  { path: '/dreams', label: 'Dreams', Icon: DreamsIcon, Page: DreamsPage },
  { path: '/rubrics', label: 'Rubrics', Icon: RubricsIcon, Page: RubricsPage },
  { path: '/settings', label: 'Settings', Icon: SettingsIcon, Page: SettingsPage },
]
