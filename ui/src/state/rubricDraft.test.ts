import { describe, expect, test } from 'vitest'
import { emptyKind, fieldOf, fromDocument, move, newCriterion, toDocument, totalWeight, type Draft } from './rubricDraft'

const STARTER = `{
  "schema": "reverie.rubric/1",
  "name": "Report",
  "description": "A report.",
  "threshold": 0.8,
  "max_iterations": 3,
  "criteria": [
    {
      "name": "Sections",
      "weight": 1.0,
      "required": true,
      "kind": {
        "type": "headings",
        "required": [
          "Summary",
          "Findings"
        ]
      }
    },
    {
      "name": "Short",
      "weight": 2.5,
      "required": false,
      "kind": {
        "type": "length",
        "unit": "words",
        "max": 150,
        "section": "Summary"
      }
    },
    {
      "name": "Shape",
      "weight": 1,
      "required": false,
      "kind": {
        "type": "json_schema",
        "schema": {
          "type": "object",
          "required": ["id"]
        }
      }
    }
  ]
}
`

describe('rubric drafts', () => {
  test('a document becomes a draft and back, fields in the engine’s order', () => {
    const draft = fromDocument(STARTER) as Draft
    expect(draft.name).toBe('Report')
    expect(draft.criteria.map((c) => c.kind.type)).toEqual(['headings', 'length', 'json_schema'])
    expect(draft.criteria[1]).toMatchObject({ weight: '2.5', kind: { unit: 'words', max: '150', min: '', section: 'Summary' } })
    const doc = JSON.parse(toDocument(draft))
    expect(Object.keys(doc)).toEqual(['schema', 'name', 'description', 'threshold', 'max_iterations', 'criteria'])
    expect(doc.criteria[1]).toEqual({
      name: 'Short',
      weight: 2.5,
      required: false,
      kind: { type: 'length', unit: 'words', max: 150, section: 'Summary' },
    })
    expect(doc.criteria[2].kind.schema).toEqual({ type: 'object', required: ['id'] })
    expect(doc.criteria[0].kind.required).toEqual(['Summary', 'Findings'])
  })

  test('a schema is spliced in as typed; text that is not JSON still makes a document', () => {
    const draft = fromDocument(STARTER) as Draft
    draft.criteria[2].kind = { type: 'json_schema', schemaText: '{"minimum": 1.0}' }
    expect(toDocument(draft)).toContain('"schema": {"minimum": 1.0}')
    draft.criteria[2].kind = { type: 'json_schema', schemaText: '{"type": ' }
    expect(JSON.parse(toDocument(draft)).criteria[2].kind.schema).toBe('{"type": ')
  })

  test('typed numbers stay numbers; other text goes to the engine to name', () => {
    const draft = fromDocument(STARTER) as Draft
    draft.threshold = '0.75'
    draft.max_iterations = 'lots'
    draft.criteria[0].weight = ''
    const doc = JSON.parse(toDocument(draft))
    expect(doc.threshold).toBe(0.75)
    expect(doc.max_iterations).toBe('lots')
    expect(doc.criteria[0].weight).toBe('')
  })

  test('regex flags are left out when empty; headings drop blank lines', () => {
    const c = newCriterion('regex')
    c.kind = { type: 'regex', pattern: 'x', must_match: false, flags: '' }
    const h = newCriterion('headings')
    h.kind = { type: 'headings', required: ['Summary', '  ', 'Next steps '] }
    const doc = JSON.parse(toDocument({ name: 'n', description: '', threshold: '1', max_iterations: '1', criteria: [c, h] }))
    expect(doc.criteria[0].kind).toEqual({ type: 'regex', pattern: 'x', must_match: false })
    expect(doc.criteria[1].kind.required).toEqual(['Summary', 'Next steps'])
  })

  test('files that are not rubrics get one sentence', () => {
    expect(fromDocument('[1, 2')).toMatchObject({ error: expect.stringMatching(/^This file is not JSON/) })
    expect(fromDocument('[1, 2]')).toMatchObject({ error: expect.stringMatching(/^A rubric is a JSON object/) })
  })

  test('engine field paths point at the criterion and field', () => {
    expect(fieldOf('criteria[2].kind.pattern')).toEqual({ criterion: 2, field: 'pattern' })
    expect(fieldOf('criteria[0].weight')).toEqual({ criterion: 0, field: 'weight' })
    expect(fieldOf('criteria[1]')).toEqual({ criterion: 1, field: '' })
    expect(fieldOf('threshold')).toEqual({ field: 'threshold' })
    expect(fieldOf('')).toEqual({ field: '' })
  })

  test('moving and weighing criteria', () => {
    expect(move(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b'])
    expect(move(['a', 'b', 'c'], 0, 5)).toEqual(['a', 'b', 'c'])
    const draft = fromDocument(STARTER) as Draft
    expect(totalWeight(draft)).toBe(4.5)
    expect(emptyKind('code_parses')).toEqual({ type: 'code_parses', language: 'python', source: 'fenced_blocks' })
  })
})
