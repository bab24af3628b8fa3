/**
 * A labelled choice of one name (an agent, a memory store) for an inline
 * form; `usePick` (state/usePick.ts) holds the choice.
 */
import { Options } from './Options'

interface NameSelectProps {
  label: string
  names: string[]
  value: string
  onChange: (name: string) => void
}

export function NameSelect({ label, names, value, onChange }: NameSelectProps) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <Options choices={names} />
      </select>
    </label>
  )
}
