/** Reverie's mark (a crescent and a star on an indigo tile), as in icons/. */
import { useId } from 'react'

export function BrandMark() {
  // React's ids contain characters that break url(#...) references.
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '')
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <defs>
        <linearGradient id={`${id}g`} x1="0" y1="0" x2="0" y2="1">
          <stop offset="0" stopColor="#6e6ef0" />
          <stop offset="1" stopColor="#2b2170" />
        </linearGradient>
        <mask id={`${id}m`}>
          <rect width="32" height="32" fill="#fff" />
          <circle cx="18.1" cy="14.1" r="7" fill="#000" />
        </mask>
      </defs>
      <rect x="2" y="2" width="28" height="28" rx="6.5" fill={`url(#${id}g)`} />
      <circle cx="14.1" cy="17.5" r="9" fill="#f5f3ff" mask={`url(#${id}m)`} />
      <path d="M22.8 7.6 23.6 9.5 25.5 10.3 23.6 11.1 22.8 13 22 11.1 20.1 10.3 22 9.5Z" fill="#f5f3ff" />
    </svg>
  )
}
