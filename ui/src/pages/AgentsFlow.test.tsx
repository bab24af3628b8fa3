// The Agents screen end to end in the page: New agent → the list asks again → the run panel opens.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from '../test/MemoryRouter'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../test/bridgeServer'
import { AgentsPage } from './AgentsPage'

let bridge: BridgeServer
let agents: unknown[]

beforeEach(async () => {
  agents = []
  bridge = await startBridgeServer()
  bridge.answers.set('agents.list', () => ({ body: agents }))
  bridge.answers.set('agents.create', (params) => {
    const agent = { id: String(agents.length + 1), stores: [], ...(params as object) }
    agents.push(agent)
    return { body: agent }
  })
})

afterEach(async () => {
  await bridge.close()
})

test('creating an agent lists it and opens its task box', async () => {
  const user = userEvent.setup()
  render(
    <MemoryRouter>
      <AgentsPage />
    </MemoryRouter>,
  )
  await screen.findByRole('heading', { name: 'No agents yet' })
  await user.click(screen.getByRole('button', { name: 'New agent' }))
  await user.click(screen.getByLabelText('Writer'))
  await user.click(screen.getByRole('button', { name: 'Create agent' }))
  const list = await screen.findByRole('list', { name: 'Agents' })
  expect(list).toHaveTextContent('Writerclaude-sonnet-4-5 · Anthropic')
  expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
  expect(screen.getByRole('button', { name: 'Run a task with Writer' })).toHaveAttribute('aria-pressed', 'true')
  expect(screen.getByRole('textbox', { name: 'Task' })).toHaveFocus()
})
