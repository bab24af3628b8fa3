import { describe, expect, test } from 'vitest'
import type { ImportSummary } from '../api'
import { describeImport, importedLabel } from './imports'

const base: ImportSummary = {
  agent: 'airline-agent',
  file_name: 'tau.json',
  format: 'openai',
  records: 120,
  imported: 120,
  skipped_duplicates: 0,
  malformed: 0,
  malformed_records: [],
  session_ids: [],
  stopped: null,
}

describe('import wording', () => {
  test('a clean import, a repeat, skipped records and a stop', () => {
    expect(describeImport(base)).toBe('Imported 120 sessions into airline-agent from tau.json (OpenAI chat JSON).')
    expect(describeImport({ ...base, imported: 0, skipped_duplicates: 120 })).toBe(
      'Nothing new in tau.json (OpenAI chat JSON): all 120 sessions were imported before.',
    )
    expect(describeImport({ ...base, imported: 1, skipped_duplicates: 2, malformed: 1 })).toBe(
      'Imported 1 session into airline-agent from tau.json (OpenAI chat JSON). 2 were already there and skipped. 1 malformed record was skipped; see where below.',
    )
    expect(describeImport({ ...base, imported: 3, stopped: 'record 4 (line 4) is not a conversation.' })).toBe(
      'The import stopped: record 4 (line 4) is not a conversation. 3 sessions were imported into airline-agent before that; fix the file and import it again (sessions already imported are skipped).',
    )
  })

  test('badges carry the source verdict', () => {
    const source = { format: 'openai' as const, file_name: 'x', record: 1, line: null, original_id: null, imported_at: '' }
    expect(importedLabel({ ...source, outcome: { passed: false, reward: 0 } })).toEqual({
      text: 'Imported · failed (reward 0)',
      tone: 'bad',
    })
    expect(importedLabel({ ...source, outcome: { passed: true, reward: 0.75 } }).text).toBe('Imported · passed (reward 0.75)')
    expect(importedLabel({ ...source, outcome: null })).toEqual({ text: 'Imported', tone: 'neutral' })
  })
})
