/**
 * The part of a criterion's form that depends on its kind: a description
 * for the grader, a pattern with a live tester, limits, headings, a JSON
 * Schema editor, a file type or a language. Engine validation errors for a
 * field show under it.
 */
import { useEffect, useId, useState } from 'react'
import { Field, FieldError } from './Field'
import { ApiError, call, type RegexPreview } from '../../api'
import {
  CODE_SOURCES,
  FILE_FORMATS,
  LANGUAGES,
  REGEX_FLAGS,
  type DraftKind,
} from '../../state/rubricDraft'
import { Options } from '../Options'

interface KindFormProps {
  kind: DraftKind
  onChange: (kind: DraftKind) => void
  /** Engine errors for this criterion's kind fields, by field name. */
  errorFor: (field: string) => string | undefined
  label: string
}

export function KindForm({ kind, onChange, errorFor, label }: KindFormProps) {
  switch (kind.type) {
    case 'judged':
      return (
        <Field label="What the grader checks" error={errorFor('description')}>
          <textarea
            rows={3}
            value={kind.description}
            placeholder="A reader who does not know the subject understands the summary on first reading."
            onChange={(e) => onChange({ ...kind, description: e.target.value })}
          />
        </Field>
      )
    case 'regex':
      return (
        <div className="kind-form">
          <div className="field-row">
            <Field label="Pattern" error={errorFor('pattern')}>
              <input
                className="mono"
                value={kind.pattern}
                spellCheck={false}
                placeholder="\bTODO\b"
                onChange={(e) => onChange({ ...kind, pattern: e.target.value })}
              />
            </Field>
            <Field label="The output" className="field-narrow">
              <select
                value={kind.must_match ? 'match' : 'no-match'}
                onChange={(e) => onChange({ ...kind, must_match: e.target.value === 'match' })}
              >
                <option value="match">must match</option>
                <option value="no-match">must not match</option>
              </select>
            </Field>
          </div>
          <fieldset className="flag-list">
            <legend>Flags</legend>
            {REGEX_FLAGS.map(({ flag, label: text }) => (
              <label key={flag} className="check">
                <input
                  type="checkbox"
                  checked={kind.flags.includes(flag)}
                  onChange={(e) =>
                    onChange({
                      ...kind,
                      flags: e.target.checked
                        ? REGEX_FLAGS.map((f) => f.flag)
                            .filter((f) => f === flag || kind.flags.includes(f))
                            .join('')
                        : kind.flags.replace(flag, ''),
                    })
                  }
                />
                <code>{flag}</code> {text}
              </label>
            ))}
            <FieldError id="flags-error" message={errorFor('flags')} />
          </fieldset>
          <RegexTester pattern={kind.pattern} flags={kind.flags} mustMatch={kind.must_match} label={label} />
        </div>
      )
    case 'length':
      return (
        <div className="kind-form">
          <div className="field-row">
            <Field label="Count" className="field-narrow">
              <select
                value={kind.unit}
                onChange={(e) => onChange({ ...kind, unit: e.target.value as 'words' | 'characters' })}
              >
                <option value="words">Words</option>
                <option value="characters">Characters</option>
              </select>
            </Field>
            <Field label="At least" className="field-narrow" error={errorFor('min')}>
              <input
                type="number"
                min={0}
                inputMode="numeric"
                value={kind.min}
                placeholder="no minimum"
                onChange={(e) => onChange({ ...kind, min: e.target.value })}
              />
            </Field>
            <Field label="At most" className="field-narrow" error={errorFor('max')}>
              <input
                type="number"
                min={0}
                inputMode="numeric"
                value={kind.max}
                placeholder="no maximum"
                onChange={(e) => onChange({ ...kind, max: e.target.value })}
              />
            </Field>
          </div>
          <Field label="Only in the section under this heading (optional)" error={errorFor('section')}>
            <input
              value={kind.section}
              placeholder="Summary"
              onChange={(e) => onChange({ ...kind, section: e.target.value })}
            />
          </Field>
        </div>
      )
    case 'headings':
      return (
        <Field
          label="Headings that must appear, one per line"
          help="“Summary” matches any level; “## Summary” only a level-2 heading."
          error={errorFor('required')}
        >
          <textarea
            rows={3}
            value={kind.required.join('\n')}
            placeholder={'Summary\nFindings\nNext steps'}
            onChange={(e) => onChange({ ...kind, required: e.target.value.split('\n') })}
          />
        </Field>
      )
    case 'json_schema':
      return <SchemaEditor kind={kind} onChange={onChange} engineError={errorFor('schema')} />
    case 'file_type':
      return (
        <div className="field-row">
          <Field label="Files named (a name or a pattern)" error={errorFor('path')}>
            <input
              className="mono"
              value={kind.path}
              placeholder="*.pptx"
              onChange={(e) => onChange({ ...kind, path: e.target.value })}
            />
          </Field>
          <Field label="Must open as" error={errorFor('format')}>
            <select value={kind.format} onChange={(e) => onChange({ ...kind, format: e.target.value })}>
              <Options choices={FILE_FORMATS} />
            </select>
          </Field>
        </div>
      )
    case 'code_parses':
      return (
        <div className="field-row">
          <Field label="Language" className="field-narrow">
            <select value={kind.language} onChange={(e) => onChange({ ...kind, language: e.target.value })}>
              <Options choices={LANGUAGES} />
            </select>
          </Field>
          <Field label="Where the code is">
            <select value={kind.source} onChange={(e) => onChange({ ...kind, source: e.target.value })}>
              <Options choices={CODE_SOURCES} />
            </select>
          </Field>
        </div>
      )
  }
}

/** A JSON Schema as text, checked as JSON at once and by the engine after. */
function SchemaEditor({
  kind,
  onChange,
  engineError,
}: {
  kind: Extract<DraftKind, { type: 'json_schema' }>
  onChange: (kind: DraftKind) => void
  engineError?: string
}) {
  let jsonError: string | undefined
  try {
    JSON.parse(kind.schemaText)
  } catch (e) {
    jsonError = `This is not JSON yet: ${(e as Error).message}.`
  }
  const message = jsonError ?? engineError
  return (
    <Field
      label="JSON Schema the output must match"
      help={message ? 'Tab indents; press Escape, then Tab, to leave the editor.' : 'Valid JSON. Tab indents; press Escape, then Tab, to leave the editor.'}
      error={message}
    >
      <textarea
        className="mono schema-editor"
        rows={8}
        spellCheck={false}
        value={kind.schemaText}
        onChange={(e) => onChange({ ...kind, schemaText: e.target.value })}
        onKeyDown={(e) => {
          // Tab indents inside the schema; Escape then Tab leaves it.
          if (e.key === 'Tab' && !e.shiftKey && !e.currentTarget.dataset.escaped) {
            e.preventDefault()
            const el = e.currentTarget
            const { selectionStart: s, selectionEnd: t } = el
            const next = `${el.value.slice(0, s)}  ${el.value.slice(t)}`
            onChange({ ...kind, schemaText: next })
            requestAnimationFrame(() => el.setSelectionRange(s + 2, s + 2))
          } else if (e.key === 'Escape') {
            e.currentTarget.dataset.escaped = '1'
          } else {
            delete e.currentTarget.dataset.escaped
          }
        }}
      />
    </Field>
  )
}

/** Sample text with the pattern's matches marked, by the engine's regex. */
function RegexTester({
  pattern,
  flags,
  mustMatch,
  label,
}: {
  pattern: string
  flags: string
  mustMatch: boolean
  label: string
}) {
  const id = useId()
  const [sample, setSample] = useState('')
  const [preview, setPreview] = useState<{ key: string; result?: RegexPreview; error?: string }>()
  const key = JSON.stringify([pattern, flags, sample])

  useEffect(() => {
    if (!pattern || !sample) return
    let current = true
    const timer = setTimeout(() => {
      call('rubrics.try_regex', { pattern, flags: flags || undefined, text: sample }).then(
        (result) => current && setPreview({ key, result }),
        (e) => current && setPreview({ key, error: e instanceof ApiError ? e.message : String(e) }),
      )
    }, 120)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [key, pattern, flags, sample])

  const shown = preview?.key === key ? preview : undefined
  const count = shown?.result?.matches.length ?? 0
  const verdict = !shown?.result
    ? ''
    : count > 0 === mustMatch
      ? 'This sample passes.'
      : 'This sample fails.'
  return (
    <div className="regex-tester">
      <label className="field" htmlFor={`${id}-sample`}>
        Try it on sample text
      </label>
      <textarea
        id={`${id}-sample`}
        className="mono"
        rows={3}
        value={sample}
        placeholder="Paste text the output might contain"
        onChange={(e) => setSample(e.target.value)}
        aria-describedby={`${id}-result`}
      />
      <div id={`${id}-result`} className="regex-result" aria-live="polite" aria-label={`Matches of ${label}`}>
        {!pattern || !sample ? (
          <span className="muted small">Type a pattern and some text to see what it matches.</span>
        ) : shown?.error ? (
          <span className="field-error">{shown.error}</span>
        ) : shown?.result ? (
          <>
            <p className="small">
              <strong>
                {count === 0 ? 'No match' : `${count}${shown.result.truncated ? '+' : ''} match${count === 1 ? '' : 'es'}`}
              </strong>{' '}
              · {verdict}
            </p>
            {count > 0 && <Highlighted text={sample} matches={shown.result.matches} />}
          </>
        ) : (
          <span className="muted small">Checking…</span>
        )}
      </div>
    </div>
  )
}

function Highlighted({ text, matches }: { text: string; matches: { start: number; end: number }[] }) {
  const parts: React.ReactNode[] = []
  let at = 0
  matches.forEach((m, i) => {
    if (m.start > at) parts.push(text.slice(at, m.start))
    parts.push(<mark key={i}>{text.slice(m.start, m.end) || '∅'}</mark>)
    at = Math.max(at, m.end)
  })
  parts.push(text.slice(at))
  return <pre className="regex-highlight">{parts}</pre>
}
