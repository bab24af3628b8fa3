/**
 * The rubric builder's draft: a rubric document (`reverie.rubric/1`) as
 * editable state, and back. Criteria carry a local id so they can be
 * reordered; a JSON Schema is kept as the text the person typed, spliced
 * into the document unchanged. Field paths from the engine's validation
 * (`criteria[2].kind.pattern`) are mapped back to the criterion and field.
 *
 * It never validates a rubric itself (the engine does, with line, column
 * and field) and never calls the engine.
 */
import type { StoredRubric } from '../api'

export const RUBRIC_SCHEMA = 'reverie.rubric/1'
export const MAX_ITERATIONS_LIMIT = 20

export type KindType = 'judged' | 'regex' | 'length' | 'headings' | 'json_schema' | 'file_type' | 'code_parses'

export const KIND_TYPES: { type: KindType; label: string; hint: string }[] = [
  { type: 'judged', label: 'Judged by the grader', hint: 'A plain-language description the grader model judges.' },
  { type: 'regex', label: 'Pattern (regex)', hint: 'The output must, or must not, contain a match.' },
  { type: 'length', label: 'Word or character limit', hint: 'A count between a minimum and a maximum.' },
  { type: 'headings', label: 'Required headings', hint: 'Markdown headings that must appear.' },
  { type: 'json_schema', label: 'JSON Schema', hint: 'The output must be JSON valid against a schema.' },
  { type: 'file_type', label: 'File type', hint: 'Output files that must open as a format.' },
  { type: 'code_parses', label: 'Code parses', hint: 'The code must parse without syntax errors.' },
]

export const FILE_FORMATS = [
  { value: 'docx', label: 'Word document (.docx)' },
  { value: 'pptx', label: 'PowerPoint deck (.pptx)' },
  { value: 'xlsx', label: 'Excel workbook (.xlsx)' },
  { value: 'pdf', label: 'PDF' },
  { value: 'csv', label: 'CSV file' },
] as const

export const LANGUAGES = [
  { value: 'python', label: 'Python' },
  { value: 'rust', label: 'Rust' },
] as const

export const CODE_SOURCES = [
  { value: 'fenced_blocks', label: 'Fenced code blocks in the output' },
  { value: 'whole_output', label: 'The whole output' },
  { value: 'files', label: 'Output files with the language’s extension' },
] as const

export const REGEX_FLAGS = [
  { flag: 'i', label: 'Ignore case' },
  { flag: 'm', label: '^ and $ match per line' },
  { flag: 's', label: '. matches newline' },
  { flag: 'x', label: 'Verbose (ignore spaces)' },
  { flag: 'U', label: 'Swap greed' },
] as const

export type DraftKind =
  | { type: 'judged'; description: string }
  | { type: 'regex'; pattern: string; must_match: boolean; flags: string }
  | { type: 'length'; unit: 'words' | 'characters'; min: string; max: string; section: string }
  | { type: 'headings'; required: string[] }
  | { type: 'json_schema'; schemaText: string }
  | { type: 'file_type'; path: string; format: string }
  | { type: 'code_parses'; language: string; source: string }

export interface DraftCriterion {
  uid: string
  name: string
  /** As typed; the document carries the number. */
  weight: string
  required: boolean
  kind: DraftKind
}

export interface Draft {
  name: string
  description: string
  threshold: string
  max_iterations: string
  criteria: DraftCriterion[]
}

let counter = 0
export const newUid = () => `c${++counter}-${Math.random().toString(36).slice(2, 7)}`

/** A kind's empty form, for a criterion switching to it. */
export function emptyKind(type: KindType): DraftKind {
  switch (type) {
    case 'judged':
      return { type, description: '' }
    case 'regex':
      return { type, pattern: '', must_match: true, flags: '' }
    case 'length':
      return { type, unit: 'words', min: '', max: '', section: '' }
    case 'headings':
      return { type, required: [] }
    case 'json_schema':
      return { type, schemaText: '{\n  "type": "object"\n}' }
    case 'file_type':
      return { type, path: '*.docx', format: 'docx' }
    case 'code_parses':
      return { type, language: 'python', source: 'fenced_blocks' }
  }
}

export function newCriterion(type: KindType = 'judged'): DraftCriterion {
  return { uid: newUid(), name: '', weight: '1', required: false, kind: emptyKind(type) }
}

export function emptyDraft(): Draft {
  return { name: '', description: '', threshold: '0.8', max_iterations: '3', criteria: [newCriterion()] }
}

/** A number as the document shows it: `1` stays `1.0` if it was written so. */
const num = (v: unknown, fallback = ''): string => (typeof v === 'number' ? String(v) : fallback)
const text = (v: unknown): string => (typeof v === 'string' ? v : '')

/**
 * A document as a draft. Returns an error sentence for text that is not a
 * JSON object; anything else (even a wrong field) is the engine's to judge.
 */
export function fromDocument(doc: string): Draft | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(doc)
  } catch (e) {
    return { error: `This file is not JSON (${(e as Error).message}); export a rubric from Reverie and import that.` }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { error: 'A rubric is a JSON object with a name, a threshold and criteria; this file holds something else.' }
  }
  const r = value as Record<string, unknown>
  const criteria = Array.isArray(r.criteria) ? r.criteria : []
  return {
    name: text(r.name),
    description: text(r.description),
    threshold: num(r.threshold, '0.8'),
    max_iterations: num(r.max_iterations, '3'),
    criteria: criteria.map((c: Record<string, unknown>) => {
      const k = (c?.kind ?? {}) as Record<string, unknown>
      return {
        uid: newUid(),
        name: text(c?.name),
        weight: num(c?.weight, '1'),
        required: c?.required === true,
        kind: kindFrom(k),
      }
    }),
  }
}

function kindFrom(k: Record<string, unknown>): DraftKind {
  switch (k.type) {
    case 'regex':
      return { type: 'regex', pattern: text(k.pattern), must_match: k.must_match !== false, flags: text(k.flags) }
    case 'length':
      return {
        type: 'length',
        unit: k.unit === 'characters' ? 'characters' : 'words',
        min: num(k.min),
        max: num(k.max),
        section: text(k.section),
      }
    case 'headings':
      return { type: 'headings', required: Array.isArray(k.required) ? k.required.map(text) : [] }
    case 'json_schema':
      return { type: 'json_schema', schemaText: JSON.stringify(k.schema ?? {}, null, 2) }
    case 'file_type':
      return { type: 'file_type', path: text(k.path), format: text(k.format) || 'docx' }
    case 'code_parses':
      return { type: 'code_parses', language: text(k.language) || 'python', source: text(k.source) || 'fenced_blocks' }
    default:
      return { type: 'judged', description: text(k.description) }
  }
}

/** A typed number, or the text itself so the engine names the mistake. */
const asNumber = (s: string): number | string => {
  const t = s.trim()
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t
}

/**
 * The draft as a rubric document, fields in the engine's order. A schema's
 * text is spliced in as typed; if it is not JSON the document is still made
 * (the engine then points at the schema).
 */
export function toDocument(draft: Draft): string {
  const schemas: string[] = []
  const criteria = draft.criteria.map((c) => {
    const k = c.kind
    let kind: Record<string, unknown>
    switch (k.type) {
      case 'judged':
        kind = { type: k.type, description: k.description }
        break
      case 'regex':
        kind = { type: k.type, pattern: k.pattern, must_match: k.must_match, ...(k.flags ? { flags: k.flags } : {}) }
        break
      case 'length':
        kind = {
          type: k.type,
          unit: k.unit,
          ...(k.min.trim() ? { min: asNumber(k.min) } : {}),
          ...(k.max.trim() ? { max: asNumber(k.max) } : {}),
          ...(k.section.trim() ? { section: k.section.trim() } : {}),
        }
        break
      case 'headings':
        kind = { type: k.type, required: k.required.map((h) => h.trim()).filter(Boolean) }
        break
      case 'json_schema':
        schemas.push(k.schemaText)
        kind = { type: k.type, schema: `\u0000schema${schemas.length - 1}\u0000` }
        break
      case 'file_type':
        kind = { type: k.type, path: k.path, format: k.format }
        break
      case 'code_parses':
        kind = { type: k.type, language: k.language, source: k.source }
        break
    }
    return { name: c.name, weight: asNumber(c.weight), required: c.required, kind }
  })
  const doc = {
    schema: RUBRIC_SCHEMA,
    name: draft.name,
    description: draft.description,
    threshold: asNumber(draft.threshold),
    max_iterations: asNumber(draft.max_iterations),
    criteria,
  }
  let out = JSON.stringify(doc, null, 2)
  schemas.forEach((schema, i) => {
    let body = schema.trim()
    try {
      JSON.parse(body)
    } catch {
      // Not JSON: kept as a string, so the document still parses and the
      // engine's error names this criterion's schema.
      body = JSON.stringify(schema)
    }
    out = out.replace(JSON.stringify(`\u0000schema${i}\u0000`), () => body)
  })
  return out + '\n'
}

/** Where an engine validation error belongs in the form. */
export interface FieldRef {
  /** The criterion's index, when the error is inside one. */
  criterion?: number
  /** The field: `name`, `threshold`, `weight`, `pattern`, `schema`, ... */
  field: string
}

export function fieldOf(path: string): FieldRef {
  const m = /^criteria\[(\d+)\](?:\.kind)?(?:\.([A-Za-z_]+))?/.exec(path)
  if (m) return { criterion: Number(m[1]), field: m[2] ?? '' }
  return { field: path.split(/[.[]/, 1)[0] ?? '' }
}

/** Moves the item at `from` to `to` (a new array). */
export function move<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items]
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out
  const [item] = out.splice(from, 1)
  out.splice(to, 0, item)
  return out
}

/** A stored name for a rubric: a slug of its name (letters, digits, '-'). */
export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'rubric'
  )
}

/** The engine's sentences start in lower case; a message on its own starts with a capital. */
export function sentence(message: string): string {
  const s = message.trim()
  return s ? s[0].toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.') : s
}

/** The name inside a rubric's document (what people gave it), else its stored name. */
export function titleOf(r: StoredRubric): string {
  try {
    const name = (JSON.parse(r.document) as { name?: unknown }).name
    return typeof name === 'string' && name.trim() ? name : r.name
  } catch {
    return r.name
  }
}

/** Sum of the criteria's weights (those that are numbers). */
export function totalWeight(draft: Draft): number {
  return draft.criteria.reduce((n, c) => {
    const w = Number(c.weight)
    return n + (Number.isFinite(w) && w > 0 ? w : 0)
  }, 0)
}
