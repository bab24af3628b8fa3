/**
 * One criterion in the builder: a drag handle (mouse, touch, or keyboard:
 * Space picks it up, arrows move it, Space drops it, Escape cancels), its
 * name, kind, weight and whether it is required, and its kind's form.
 */
import { useSortable } from '@dnd-kit/sortable'
import { CSS } from '@dnd-kit/utilities'
import { useId } from 'react'
import { KIND_TYPES, emptyKind, type DraftCriterion, type KindType } from '../../state/rubricDraft'
import { Field, FieldError } from './Field'
import { KindForm } from './KindForm'

interface CardProps {
  criterion: DraftCriterion
  index: number
  count: number
  onChange: (c: DraftCriterion) => void
  onRemove: () => void
  errorFor: (field: string) => string | undefined
}

export function CriterionCard({ criterion, index, count, onChange, onRemove, errorFor }: CardProps) {
  const ids = useId()
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({
    id: criterion.uid,
  })
  const title = criterion.name.trim() || `Criterion ${index + 1}`
  const hint = KIND_TYPES.find((k) => k.type === criterion.kind.type)?.hint
  const err = (field: string) => errorFor(field)
  return (
    <li
      ref={setNodeRef}
      className={`criterion${isDragging ? ' is-dragging' : ''}`}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      aria-label={title}
      data-testid="criterion"
    >
      <div className="criterion-head">
        <button
          type="button"
          ref={setActivatorNodeRef}
          className="drag-handle"
          {...attributes}
          {...listeners}
          aria-label={`Reorder ${title}, position ${index + 1} of ${count}`}
        >
          <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            {[4, 8, 12].flatMap((y) => [6, 10].map((x) => <circle key={`${x}-${y}`} cx={x} cy={y} r="1.2" />))}
          </svg>
        </button>
        <span className="criterion-number" aria-hidden="true">
          {index + 1}
        </span>
        <Field
          label={<span className="visually-hidden">Name of criterion {index + 1}</span>}
          className="criterion-name"
          error={err('name')}
        >
          <input
            value={criterion.name}
            placeholder="What this criterion checks"
            onChange={(e) => onChange({ ...criterion, name: e.target.value })}
          />
        </Field>
        <button type="button" className="button button-small button-danger" onClick={onRemove}>
          Remove<span className="visually-hidden"> {title}</span>
        </button>
      </div>
      <div className="criterion-settings">
        <Field label="Kind" help={hint}>
          <select
            value={criterion.kind.type}
            onChange={(e) => onChange({ ...criterion, kind: emptyKind(e.target.value as KindType) })}
          >
            {KIND_TYPES.map((k) => (
              <option key={k.type} value={k.type}>
                {k.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Weight" className="field-narrow" error={err('weight')}>
          <input
            type="number"
            min={0}
            step={0.5}
            value={criterion.weight}
            onChange={(e) => onChange({ ...criterion, weight: e.target.value })}
          />
        </Field>
        <div className="criterion-required">
          <label className="check">
            <input
              type="checkbox"
              checked={criterion.required}
              onChange={(e) => onChange({ ...criterion, required: e.target.checked })}
              aria-describedby={`${ids}-required-help`}
            />
            Required
          </label>
          <span id={`${ids}-required-help`} className="field-help">
            A miss fails the output whatever the score.
          </span>
        </div>
      </div>
      <KindForm
        kind={criterion.kind}
        label={title}
        onChange={(kind) => onChange({ ...criterion, kind })}
        errorFor={(field) => err(field)}
      />
      {err('') && <FieldError id={`${ids}-err`} message={err('')} />}
    </li>
  )
}
