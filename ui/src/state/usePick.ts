import { useState } from 'react'

/** The name chosen from `names`: the person's pick while it is still offered, else the first. */
export function usePick(names: string[]) {
  const [pick, setPick] = useState('')
  return [names.includes(pick) ? pick : (names[0] ?? ''), setPick] as const
}
