// An agent's checks: listed in order, added with a task and a rubric,
// moved up and down, edited and removed, each one engine call.
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../../test/MemoryRouter'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { EvalTask } from '../../api'
import { startBridgeServer, type BridgeServer } from '../../test/bridgeServer'
import { ChecksSection } from './ChecksSection'

let bridge: BridgeServer

const check = (id: string, position: number, task: string, source: string | null = null): EvalTask => ({
  id,
  agent_id: 'A',
  position,
  task,
  rubric: 'support-reply',
  source_session_id: source,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
})

const rubric = (name: string, title: string) => ({ id: `R-${name}`, name, version: 1, document: JSON.stringify({ name: title }), created_at: '', updated_at: '' })

beforeEach(async () => {
  bridge = await startBridgeServer()
  bridge.answers.set('rubrics.list', { body: [rubric('support-reply', 'Support reply'), rubric('tone', 'Friendly tone')] })
})

afterEach(async () => {
  await bridge.close()
})

describe('ChecksSection', () => {
  test('add, move, edit and remove checks', async () => {
    let list = [check('T1', 0, 'Refund a late order', 'S1'), check('T2', 1, 'Rebook a cancelled flight')]
    bridge.answers.set('evals.list', () => ({ body: list }))
    bridge.answers.set('evals.add', (p) => {
      const { task, rubric } = p as { task: string; rubric: string }
      list = [...list, { ...check('T3', 2, task), rubric }]
      return { body: list.at(-1) }
    })
    bridge.answers.set('evals.move', () => {
      list = [{ ...list[1], position: 0 }, { ...list[0], position: 1 }, ...list.slice(2)]
      return { body: list }
    })
    bridge.answers.set('evals.update', (p) => {
      const { id, task } = p as { id: string; task: string }
      list = list.map((c) => (c.id === id ? { ...c, task } : c))
      return { body: list.find((c) => c.id === id) }
    })
    bridge.answers.set('evals.remove', (p) => {
      list = list.filter((c) => c.id !== (p as { id: string }).id)
      return { body: { removed: true } }
    })
    render(
      <MemoryRouter>
        <ChecksSection agent="helper" defaultRubricId="R-tone" />
      </MemoryRouter>,
    )
    const user = userEvent.setup()
    const checks = await screen.findByRole('list', { name: 'Checks' })
    const items = within(checks).getAllByRole('listitem')
    expect(items.map((i) => i.getAttribute('aria-label'))).toEqual(['Check 1: Refund a late order', 'Check 2: Rebook a cancelled flight'])
    expect(items[0]).toHaveTextContent('Graded with Support reply')
    expect(within(items[0]).getByRole('link', { name: 'from a past session' })).toHaveAttribute('href', '/sessions/S1')
    expect(within(items[0]).getByRole('button', { name: 'Move up' })).toBeDisabled()

    // Add: the agent's default rubric is chosen at first.
    const add = screen.getByRole('form', { name: 'Add a check' })
    expect(within(add).getByLabelText('Rubric')).toHaveValue('tone')
    await user.type(within(add).getByLabelText('What to ask the agent'), 'Answer a baggage question')
    await user.click(within(add).getByRole('button', { name: 'Add check' }))
    await screen.findByRole('listitem', { name: 'Check 3: Answer a baggage question' })
    expect(bridge.calls.find((c) => c.method === 'evals.add')?.params).toEqual({ agent: 'helper', task: 'Answer a baggage question', rubric: 'tone' })
    expect(within(screen.getByRole('form', { name: 'Add a check' })).getByLabelText('What to ask the agent')).toHaveValue('')

    // Move the second check up: it takes the first one's position.
    await user.click(within(screen.getByRole('listitem', { name: 'Check 2: Rebook a cancelled flight' })).getByRole('button', { name: 'Move up' }))
    await screen.findByRole('listitem', { name: 'Check 1: Rebook a cancelled flight' })
    expect(bridge.calls.find((c) => c.method === 'evals.move')?.params).toEqual({ id: 'T2', position: 0 })

    // Edit.
    await user.click(within(screen.getByRole('listitem', { name: 'Check 2: Refund a late order' })).getByRole('button', { name: 'Edit' }))
    const edit = screen.getByRole('form', { name: 'Edit check 2' })
    await user.clear(within(edit).getByLabelText('What to ask the agent'))
    await user.type(within(edit).getByLabelText('What to ask the agent'), 'Refund a very late order')
    await user.click(within(edit).getByRole('button', { name: 'Save check' }))
    await screen.findByRole('listitem', { name: 'Check 2: Refund a very late order' })
    expect(bridge.calls.find((c) => c.method === 'evals.update')?.params).toEqual({ id: 'T1', task: 'Refund a very late order', rubric: 'support-reply' })

    // Remove.
    await user.click(within(screen.getByRole('listitem', { name: 'Check 1: Rebook a cancelled flight' })).getByRole('button', { name: 'Remove' }))
    await screen.findByText('Removed the check.')
    expect(within(screen.getByRole('list', { name: 'Checks' })).getAllByRole('listitem')).toHaveLength(2)
    expect(bridge.calls.find((c) => c.method === 'evals.remove')?.params).toEqual({ id: 'T2' })
  })

  test('no checks yet: says so and offers the form', async () => {
    bridge.answers.set('evals.list', { body: [] })
    render(
      <MemoryRouter>
        <ChecksSection agent="helper" />
      </MemoryRouter>,
    )
    expect(await screen.findByTestId('no-checks')).toHaveTextContent('No checks yet.')
    expect(screen.getByRole('form', { name: 'Add a check' })).toBeInTheDocument()
  })
})
