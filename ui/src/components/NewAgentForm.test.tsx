// "New agent" against a loopback server speaking the bridge's wire format.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { startBridgeServer, type BridgeServer } from '../test/bridgeServer'
import { TEMPLATES } from '../state/agentTemplates'
import { NewAgentForm } from './NewAgentForm'

let bridge: BridgeServer

beforeEach(async () => {
  bridge = await startBridgeServer()
})

afterEach(async () => {
  await bridge.close()
})

describe('New agent', () => {
  test('four templates; choosing one fills the name and instructions', async () => {
    const user = userEvent.setup()
    render(<NewAgentForm onCreated={() => {}} onCancel={() => {}} />)
    const dialog = screen.getByRole('dialog', { name: 'New agent' })
    expect(screen.getAllByRole('radio')).toHaveLength(4)
    expect(TEMPLATES.map((t) => t.id)).toEqual(['researcher', 'writer', 'coder', 'support'])
    expect(screen.getByLabelText('Name')).toHaveValue('Researcher')
    await user.click(screen.getByLabelText('Coder'))
    expect(screen.getByLabelText('Name')).toHaveValue('Coder')
    expect(screen.getByLabelText('Instructions')).toHaveValue(TEMPLATES[2].system_prompt)
    expect(screen.getByLabelText('Model')).toHaveValue('claude-sonnet-4-5')
    expect(dialog).toBeInTheDocument()
  })

  test('sends the edited agent to agents.create and reports it', async () => {
    bridge.answers.set('agents.create', (params) => ({ body: { id: '01', ...(params as object) } }))
    const onCreated = vi.fn()
    const user = userEvent.setup()
    render(<NewAgentForm onCreated={onCreated} onCancel={() => {}} />)
    await user.click(screen.getByLabelText('Support'))
    await user.clear(screen.getByLabelText('Name'))
    await user.type(screen.getByLabelText('Name'), 'helpdesk')
    await user.selectOptions(screen.getByLabelText('Provider'), 'openai')
    await user.clear(screen.getByLabelText('Model'))
    await user.type(screen.getByLabelText('Model'), 'llama3.2')
    await user.click(screen.getByRole('button', { name: 'Create agent' }))
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalledOnce())
    expect(bridge.calls.at(-1)).toEqual({
      method: 'agents.create',
      params: {
        name: 'helpdesk',
        provider: 'openai',
        model: 'llama3.2',
        system_prompt: TEMPLATES[3].system_prompt,
        tools: ['memory', 'workspace'],
      },
    })
    expect(onCreated.mock.calls[0][0]).toMatchObject({ id: '01', name: 'helpdesk' })
  })

  test('opens with the name field focused; Escape closes it', async () => {
    const onCancel = vi.fn()
    const user = userEvent.setup()
    render(<NewAgentForm onCreated={() => {}} onCancel={onCancel} />)
    expect(screen.getByLabelText('Name')).toHaveFocus()
    await user.keyboard('{Escape}')
    expect(onCancel).toHaveBeenCalledOnce()
  })

  test("shows the engine's one sentence when it refuses", async () => {
    bridge.answers.set('agents.create', {
      status: 400,
      body: { error: { kind: 'invalid', message: "'a b' is not a valid agent name; use 1-64 letters" } },
    })
    const onCreated = vi.fn()
    const user = userEvent.setup()
    render(<NewAgentForm onCreated={onCreated} onCancel={() => {}} />)
    await user.click(screen.getByRole('button', { name: 'Create agent' }))
    expect(await screen.findByRole('alert')).toHaveTextContent("'a b' is not a valid agent name; use 1-64 letters")
    expect(onCreated).not.toHaveBeenCalled()
  })
})
