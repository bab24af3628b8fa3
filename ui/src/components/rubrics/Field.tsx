/**
 * A labelled form control with its help text and its error: the label names
 * the control, help and error describe it (so the error is not read as part
 * of the name), and `aria-invalid` marks it while the error stands.
 */
import { cloneElement, useId, type ReactElement, type ReactNode } from 'react'
import { sentence } from '../../state/rubricDraft'

interface FieldProps {
  label: ReactNode
  children: ReactElement<Record<string, unknown>>
  error?: string
  help?: ReactNode
  className?: string
}

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null
  return (
    <p id={id} className="field-error">
      {sentence(message)}
    </p>
  )
}

export function Field({ label, children, error, help, className }: FieldProps) {
  const id = useId()
  const describedBy = [help ? `${id}-help` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ')
  const control = cloneElement(children, {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
  })
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {control}
      {help && (
        <span id={`${id}-help`} className="field-help">
          {help}
        </span>
      )}
      <FieldError id={`${id}-err`} message={error} />
    </div>
  )
}
