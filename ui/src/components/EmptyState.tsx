/**
 * What a screen shows when there is nothing in it yet: what belongs here and
 * the next step to get there. Never placeholder data.
 */
import type { ReactNode } from 'react'

interface EmptyStateProps {
  icon: ReactNode
  title: string
  children: ReactNode
}

export function EmptyState({ icon, title, children }: EmptyStateProps) {
  return (
    <section className="empty-state" aria-labelledby="empty-state-title">
      <span className="empty-state-icon">{icon}</span>
      <h2 id="empty-state-title">{title}</h2>
      {children}
    </section>
  )
}
