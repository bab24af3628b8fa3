/**
 * Agents: Claude set up for a job, as the engine lists them. Open one to
 * edit it, create one from a template, or run a task on it. A fresh install
 * (no agents, no model connected, setup not skipped) goes to the first-run
 * onboarding instead.
 */
import { useState } from 'react'
import { Link, Redirect, useLocation, useSearchParams } from 'wouter'
import { CallError } from '../components/CallError'
import { EmptyState } from '../components/EmptyState'
import { NewAgentForm } from '../components/NewAgentForm'
import { Page } from '../components/Page'
import { RunPanel } from '../components/RunPanel'
import { AgentsIcon } from '../components/icons'
import { applyNewAgentDefaults } from '../components/agents/newAgentDefaults'
import { DemoData } from '../components/sessions/DemoData'
import { loadProgress, saveProgress, shouldOffer } from '../state/onboarding'
import { useKeepInAddress } from '../state/router'
import { useCall } from '../state/useCall'
import { useReturnFocus } from '../state/useReturnFocus'
import '../styles/agents.css'

const PROVIDERS = { anthropic: 'Anthropic', openai: 'OpenAI-compatible' } as const

export function AgentsPage() {
  const [refresh, setRefresh] = useState(0)
  const agents = useCall('agents.list', {}, refresh)
  const anthropic = useCall('keys.status', { provider: 'anthropic' })
  const openaiUrl = useCall('settings.get', { key: 'provider.openai.base_url' })
  const [creating, setCreating] = useState(false)
  // The agent whose run panel is open is in the address (`?run=…`, kept in
  // place), so Back from the run's timeline reopens the panel.
  const [params] = useSearchParams()
  const keepInAddress = useKeepInAddress()
  const selected = params.get('run') ?? undefined
  const setSelected = (name: string) => keepInAddress(new URLSearchParams({ run: name }))
  const [newButton, returnFocusToNew] = useReturnFocus(creating)
  const [, navigate] = useLocation()

  // Only when the engine answered every question: an error never sends anyone to onboarding.
  if (
    agents.status === 'ok' &&
    anthropic.status === 'ok' &&
    openaiUrl.status === 'ok' &&
    shouldOffer(
      { agents: agents.data.length, anthropic: anthropic.data, openaiBaseUrl: openaiUrl.data },
      loadProgress(),
    )
  ) {
    return <Redirect to="/welcome" replace />
  }

  const startSetup = () => {
    saveProgress({ ...loadProgress(), closed: false })
    navigate('/welcome')
  }

  return (
    <Page
      title="Agents"
      description="An agent is Claude with a job: a model, instructions, tools, and a memory it keeps improving."
    >
      <div className="actions">
        <button
          ref={newButton}
          type="button"
          className="button button-primary"
          onClick={() => setCreating(true)}
          aria-expanded={creating}
          disabled={creating}
        >
          New agent
        </button>
      </div>
      {creating && (
        <NewAgentForm
          onCancel={() => {
            // Focus goes back where it was before the form opened.
            returnFocusToNew()
            setCreating(false)
          }}
          onCreated={(agent) => {
            setCreating(false)
            setSelected(agent.name)
            setRefresh((n) => n + 1)
            // The Settings default schedule; the list shows the agent either way.
            void applyNewAgentDefaults(agent)
          }}
        />
      )}
      {agents.status === 'loading' && <p className="muted">Loading agents…</p>}
      {agents.status === 'error' && <CallError error={agents.error} />}
      {agents.status === 'ok' && agents.data.length === 0 && !creating && (
        <EmptyState icon={<AgentsIcon />} title="No agents yet">
          <p>
            Create one from a template: pick what you want help with, give it a name, and Reverie sets up its
            memory. Add a model key in Settings first, or let Reverie walk you through it. To look around first,
            load the demo: an airline support agent with 120 real sessions to dream over.
          </p>
          <div className="actions actions-wrap">
            <button type="button" className="button" onClick={startSetup}>
              Set up step by step
            </button>
            <DemoData onLoaded={() => setRefresh((n) => n + 1)} />
          </div>
        </EmptyState>
      )}
      {agents.status === 'ok' && agents.data.length > 0 && (
        <ul className="list" aria-label="Agents">
          {agents.data.map((agent) => (
            <li key={agent.id} className="list-row agent-row">
              <span className="agent-row-main">
                <Link className="list-title agent-link" to={`/agents/${encodeURIComponent(agent.name)}`}>
                  {agent.name}
                </Link>
                <span className="list-meta">
                  {agent.model} · {PROVIDERS[agent.provider] ?? agent.provider}
                </span>
              </span>
              <button
                type="button"
                className="button button-small"
                aria-pressed={selected === agent.name}
                aria-label={`Run a task with ${agent.name}`}
                onClick={() => setSelected(agent.name)}
              >
                Run a task
              </button>
            </li>
          ))}
        </ul>
      )}
      {selected && agents.status === 'ok' && agents.data.some((a) => a.name === selected) && (
        <RunPanel key={selected} agent={selected} />
      )}
    </Page>
  )
}
