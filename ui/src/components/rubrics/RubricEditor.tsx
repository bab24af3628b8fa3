/**
 * The rubric builder's editor: name, description, threshold and attempts;
 * criteria to add, reorder (drag or keyboard), weigh and edit; the engine's
 * validation shown at the field it names; try the draft on a past session's
 * output before saving; save, export as JSON, delete.
 *
 * It owns one draft. An imported document that was not edited exports byte
 * for byte as imported; an edited one exports as the engine's canonical text.
 */
import {
  DndContext,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
} from '@dnd-kit/core'
import { SortableContext, sortableKeyboardCoordinates, verticalListSortingStrategy } from '@dnd-kit/sortable'
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { ApiError, call, type RubricValidation, type StoredRubric } from '../../api'
import {
  MAX_ITERATIONS_LIMIT,
  fieldOf,
  move,
  newCriterion,
  sentence,
  slug,
  toDocument,
  totalWeight,
  type Draft,
  type DraftCriterion,
} from '../../state/rubricDraft'
import { Field, FieldError } from './Field'
import { CriterionCard } from './CriterionCard'
import { download } from '../../state/download'
import { LeaveGuard } from '../LeaveGuard'
import { TryPanel } from './TryPanel'
import { CalibratePanel } from './CalibratePanel'

export interface Editing {
  /** Changes when another rubric is opened. */
  key: string
  draft: Draft
  /** The saved rubric this draft edits, if any. */
  savedName?: string
  /** The document as imported or saved, for an exact export while unedited. */
  sourceText?: string
}

interface EditorProps {
  editing: Editing
  onSaved: (rubric: StoredRubric) => void
  onDeleted: (name: string) => void
  onClose: () => void
}

export function RubricEditor({ editing, onSaved, onDeleted, onClose }: EditorProps) {
  const ids = useId()
  const [draft, setDraft] = useState(editing.draft)
  const [dirty, setDirty] = useState(false)
  const [validation, setValidation] = useState<{ doc: string; result: RubricValidation }>()
  const [saving, setSaving] = useState(false)
  const [actionError, setActionError] = useState<{ what: string; error: ApiError }>()
  const [notice, setNotice] = useState('')
  const heading = useRef<HTMLHeadingElement>(null)
  const document_ = useMemo(() => toDocument(draft), [draft])

  const update = (next: Draft) => {
    setDraft(next)
    setDirty(true)
    setNotice('')
  }

  // The engine validates the draft a moment after each change.
  useEffect(() => {
    let current = true
    const timer = setTimeout(() => {
      call('rubrics.validate', { document: document_ }).then(
        (result) => current && setValidation({ doc: document_, result }),
        () => {},
      )
    }, 200)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [document_])

  // Nothing is wrong before the person has typed anything.
  const error = dirty && validation?.doc === document_ ? validation.result.error : undefined
  const where = error ? fieldOf(error.field) : undefined
  const errorFor = (criterion: number | undefined, field: string) =>
    where && where.criterion === criterion && where.field === field ? error?.message : undefined
  const located =
    where !== undefined &&
    (where.criterion !== undefined || ['name', 'threshold', 'max_iterations', 'description'].includes(where.field))

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  )
  const nameOf = (id: string | number) => {
    const i = draft.criteria.findIndex((c) => c.uid === id)
    return { title: draft.criteria[i]?.name.trim() || `Criterion ${i + 1}`, position: i + 1 }
  }
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${nameOf(active.id).title}. Arrow keys move it, Space drops it, Escape cancels.`,
    onDragOver: ({ active, over }) =>
      over ? `${nameOf(active.id).title} is over position ${nameOf(over.id).position} of ${draft.criteria.length}.` : '',
    onDragEnd: ({ active, over }) =>
      over ? `Dropped ${nameOf(active.id).title} at position ${nameOf(over.id).position}.` : 'Dropped.',
    onDragCancel: ({ active }) => `Cancelled. ${nameOf(active.id).title} is back where it was.`,
  }
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return
    const from = draft.criteria.findIndex((c) => c.uid === active.id)
    const to = draft.criteria.findIndex((c) => c.uid === over.id)
    update({ ...draft, criteria: move(draft.criteria, from, to) })
  }

  const setCriterion = (i: number, c: DraftCriterion) =>
    update({ ...draft, criteria: draft.criteria.map((x, j) => (j === i ? c : x)) })

  const save = async () => {
    setSaving(true)
    setActionError(undefined)
    try {
      // A saved rubric keeps its stored name (a new version), even when
      // the name inside the document changes.
      // stored names are slugs; a new rubric gets one from its name.
      const saved = await call('rubrics.save', { document: document_, name: editing.savedName ?? slug(draft.name) })
      setDirty(false)
      setNotice(`Saved “${draft.name}” as ${saved.name} (version ${saved.version}).`)
      onSaved(saved)
    } catch (e) {
      setActionError({ what: 'save', error: e instanceof ApiError ? e : new ApiError('engine', String(e), 'rubrics.save') })
    } finally {
      setSaving(false)
    }
  }

  const exportJson = async () => {
    setActionError(undefined)
    try {
      const text =
        !dirty && editing.sourceText !== undefined
          ? editing.sourceText
          : (await call('rubrics.canonical', { document: document_ })).text
      setNotice(await download(`${slug(draft.name)}.rubric.json`, text))
    } catch (e) {
      setActionError({ what: 'export', error: e instanceof ApiError ? e : new ApiError('engine', String(e), 'rubrics.canonical') })
    }
  }

  const [confirming, setConfirming] = useState(false)
  const remove = async () => {
    if (!editing.savedName) return
    try {
      await call('rubrics.delete', { name: editing.savedName })
      onDeleted(editing.savedName)
    } catch (e) {
      setActionError({ what: 'delete', error: e instanceof ApiError ? e : new ApiError('engine', String(e), 'rubrics.delete') })
    }
  }

  useEffect(() => heading.current?.focus(), [editing.key])

  const threshold = Number(draft.threshold)
  return (
    <section className="rubric-editor" aria-labelledby={`${ids}-title`}>
      <div className="rubric-editor-head">
        <h2 id={`${ids}-title`} ref={heading} tabIndex={-1}>
          {editing.savedName ? `Edit “${editing.draft.name || editing.savedName}”` : 'New rubric'}
          {dirty && <span className="unsaved"> · unsaved changes</span>}
        </h2>
        <button type="button" className="button button-small" onClick={onClose}>
          Close
        </button>
      </div>

      <Field label="Name" error={errorFor(undefined, 'name')}>
        <input
          value={draft.name}
          placeholder="Report with a short summary"
          onChange={(e) => update({ ...draft, name: e.target.value })}
        />
      </Field>
      <Field label="Description" error={errorFor(undefined, 'description')}>
        <textarea
          rows={2}
          value={draft.description}
          placeholder="What a good output looks like, for the people who use this rubric."
          onChange={(e) => update({ ...draft, description: e.target.value })}
        />
      </Field>
      <div className="field-row">
        <Field
          label={`Pass threshold: ${Number.isFinite(threshold) ? `${Math.round(threshold * 100)}%` : '—'} of the weighted score`}
          error={errorFor(undefined, 'threshold')}
        >
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={Number.isFinite(threshold) ? threshold : 0.8}
            onChange={(e) => update({ ...draft, threshold: e.target.value })}
            aria-valuetext={`${Math.round((Number.isFinite(threshold) ? threshold : 0.8) * 100)} percent`}
          />
        </Field>
        <Field
          label={`Attempts (1–${MAX_ITERATIONS_LIMIT})`}
          className="field-narrow"
          error={errorFor(undefined, 'max_iterations')}
        >
          <input
            type="number"
            min={1}
            max={MAX_ITERATIONS_LIMIT}
            value={draft.max_iterations}
            onChange={(e) => update({ ...draft, max_iterations: e.target.value })}
          />
        </Field>
      </div>

      <div className="criteria-head">
        <h3>Criteria</h3>
        <span className="muted small">
          {draft.criteria.length} · total weight {totalWeight(draft)} · drag a handle, or focus it and press Space, to
          reorder
        </span>
      </div>
      <DndContext
        sensors={sensors}
        collisionDetection={closestCenter}
        onDragEnd={onDragEnd}
        accessibility={{
          announcements,
          screenReaderInstructions: {
            draggable:
              'To reorder a criterion, press Space to pick it up, the arrow keys to move it, Space again to drop it, or Escape to cancel.',
          },
        }}
      >
        <SortableContext items={draft.criteria.map((c) => c.uid)} strategy={verticalListSortingStrategy}>
          <ol className="criteria" aria-label="Criteria">
            {draft.criteria.map((c, i) => (
              <CriterionCard
                key={c.uid}
                criterion={c}
                index={i}
                count={draft.criteria.length}
                onChange={(next) => setCriterion(i, next)}
                onRemove={() => update({ ...draft, criteria: draft.criteria.filter((x) => x.uid !== c.uid) })}
                errorFor={(field) => errorFor(i, field)}
              />
            ))}
          </ol>
        </SortableContext>
      </DndContext>
      {errorFor(undefined, 'criteria') && (
        <FieldError id={`${ids}-criteria-err`} message={errorFor(undefined, 'criteria')} />
      )}
      <div className="actions">
        <button
          type="button"
          className="button"
          onClick={() => update({ ...draft, criteria: [...draft.criteria, newCriterion()] })}
        >
          Add criterion
        </button>
      </div>

      <div className="validation" role="status" aria-live="polite">
        {error ? (
          <p className="notice notice-error">
            <strong>Not ready to save.</strong>{' '}
            {located ? `Fix the field marked below: ${sentence(error.message)}` : sentence(error.text)}
          </p>
        ) : validation?.doc === document_ ? (
          <p className="validation-ok">The rubric is valid.</p>
        ) : null}
      </div>

      <TryPanel document={document_} valid={!error && validation?.doc === document_} />
      {editing.savedName && <CalibratePanel rubric={editing.savedName} dirty={dirty} />}

      <div className="actions rubric-actions">
        <button type="button" className="button button-primary" onClick={() => void save()} disabled={saving}>
          {saving ? 'Saving…' : 'Save rubric'}
        </button>
        <button type="button" className="button" onClick={() => void exportJson()}>
          Export JSON
        </button>
        {editing.savedName && !confirming && (
          <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
      </div>
      {editing.savedName && confirming && (
        <div className="notice notice-error confirm" role="group" aria-label="Confirm delete">
          <p>
            Delete “{draft.name || editing.savedName}”? Outcomes graded with it are deleted too; this cannot be undone.
          </p>
          <div className="actions">
            <button type="button" className="button button-danger" onClick={() => void remove()} autoFocus>
              Delete rubric
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      {actionError && (
        <div className="notice notice-error" role="alert">
          <strong>Reverie could not {actionError.what} this rubric.</strong> {sentence(actionError.error.message)}
        </div>
      )}
      <p className="validation-ok" role="status">
        {notice}
      </p>
      <details className="rubric-json">
        <summary>Document JSON</summary>
        <pre>{document_}</pre>
      </details>
      <LeaveGuard when={dirty} what={draft.name ? `the rubric “${draft.name}”` : 'this rubric'} />
    </section>
  )
}
