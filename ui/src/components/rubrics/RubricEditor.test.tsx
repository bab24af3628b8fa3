// The rubric editor against a real loopback bridge: the engine's validation
// error lands on the field it names, and saving sends the document under a
// slug name.
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { emptyDraft } from '../../state/rubricDraft'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { renderRouted } from '../../test/renderRouted'
import { RubricEditor } from './RubricEditor'

let bridge: BridgeServer

beforeEach(async () => {
  bridge = await startBridgeServer()
  bridge.answers.set('sessions.overview', { body: [] })
  bridge.answers.set('rubrics.validate', (params) => {
    const doc = JSON.parse((params as { document: string }).document)
    return doc.criteria[0]?.kind?.pattern === '('
      ? {
          body: {
            valid: false,
            error: {
              line: 12,
              column: 20,
              field: 'criteria[0].kind.pattern',
              message: 'the pattern is not a valid regular expression (unclosed group)',
              text: 'the rubric is not valid',
            },
          },
        }
      : { body: { valid: true } }
  })
  bridge.answers.set('rubrics.save', (params) => ({
    body: { id: 'R1', name: (params as { name: string }).name, version: 1, document: '', created_at: '', updated_at: '' },
  }))
})

afterEach(async () => {
  await bridge.close()
})

describe('Rubric editor', () => {
  test('a validation error shows at its field; saving uses a slug name', async () => {
    const user = userEvent.setup()
    const onSaved = vi.fn()
    renderRouted(
      <RubricEditor
        editing={{ key: 'k', draft: emptyDraft() }}
        onSaved={onSaved}
        onDeleted={() => {}}
        onClose={() => {}}
      />,
    )
    await user.type(screen.getByLabelText('Name'), 'Incident summary')
    await user.selectOptions(screen.getByLabelText('Kind'), 'regex')
    await user.type(screen.getByLabelText('Pattern'), '(')
    const pattern = screen.getByLabelText('Pattern')
    await vi.waitFor(() => expect(pattern).toHaveAttribute('aria-invalid', 'true'))
    expect(pattern).toHaveAccessibleDescription('The pattern is not a valid regular expression (unclosed group).')
    expect(await screen.findByText(/Not ready to save/)).toBeInTheDocument()

    await user.clear(pattern)
    await user.type(pattern, 'x')
    await screen.findByText('The rubric is valid.')
    await user.click(screen.getByRole('button', { name: 'Save rubric' }))
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalled())
    const saved = bridge.calls.find((c) => c.method === 'rubrics.save')?.params as { name: string; document: string }
    expect(saved.name).toBe('incident-summary')
    expect(JSON.parse(saved.document).criteria[0].kind).toEqual({ type: 'regex', pattern: 'x', must_match: true })
  })
})
