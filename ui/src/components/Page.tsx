/**
 * A screen's frame: its heading and one-line purpose. After a navigation the
 * heading takes focus so screen readers announce the new screen and the next
 * Tab starts in the content.
 */
import { useEffect, useRef, type ReactNode } from 'react'
import { useLocationKey } from '../state/router'

interface PageProps {
  title: string
  description: string
  children: ReactNode
}

export function Page({ title, description, children }: PageProps) {
  const heading = useRef<HTMLHeadingElement>(null)
  const key = useLocationKey()

  useEffect(() => {
    document.title = `${title} · Reverie`
    // The first screen shown at launch keeps focus where the browser put it.
    if (key !== 'default') heading.current?.focus()
  }, [title, key])

  return (
    <div className="page">
      <header className="page-header">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <p>{description}</p>
      </header>
      {children}
    </div>
  )
}
