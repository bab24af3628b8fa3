import { useLayoutEffect, useRef } from 'react'

/**
 * Focus goes back to the control that opened a panel when the panel closes.
 * It happens in the same commit that removes the panel (a layout effect, not
 * a later animation frame), so no moment passes with focus lost on <body>
 * and the opener is already enabled again when it takes focus. Returns the
 * opener's ref and `arm`: calling `arm()` before closing says this close
 * returns focus; closes that move on elsewhere do not call it.
 */
export function useReturnFocus<T extends HTMLElement = HTMLButtonElement>(open: boolean) {
  const opener = useRef<T>(null)
  const armed = useRef(false)
  useLayoutEffect(() => {
    if (!open && armed.current) {
      armed.current = false
      opener.current?.focus()
    }
  }, [open])
  const arm = () => {
    armed.current = true
  }
  return [opener, arm] as const
}
