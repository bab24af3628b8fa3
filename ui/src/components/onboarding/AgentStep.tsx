/**
 * Onboarding step 2: the first agent, from one of the four templates, on the
 * model connected in step 1. New agents get the default dream schedule from
 * Settings when there is one.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { ApiError, call, type Agent, type ProviderKind } from '../../api'
import { applyNewAgentDefaults } from '../agents/newAgentDefaults'
import { DEFAULT_MODEL, TEMPLATE_TOOLS, TEMPLATES } from '../../state/agentTemplates'
import { ErrorLine } from '../NoteLine'

const BLURBS: Record<string, string> = {
  researcher: 'Finds facts, says where each came from and what is uncertain.',
  writer: 'Drafts and revises clear, plain prose.',
  coder: 'Reads code, makes small complete changes, says how to test them.',
  support: 'Answers customer questions kindly, from what it remembers.',
}

/** The model a new agent gets: the default from Settings, else the built-in one. */
async function defaultModel(provider: ProviderKind, localModel?: string): Promise<string> {
  if (provider === 'openai' && localModel) return localModel
  const saved = await call('settings.get', { key: `defaults.model.${provider}` }).catch(() => null)
  return saved?.trim() || (provider === 'anthropic' ? DEFAULT_MODEL : 'llama3.2')
}

export function AgentStep({
  provider,
  model,
  onDone,
}: {
  provider: ProviderKind
  model?: string
  onDone: (agent: Agent) => void
}) {
  const ids = useId()
  const [template, setTemplate] = useState(TEMPLATES[0])
  const [name, setName] = useState(TEMPLATES[0].name)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const nameField = useRef<HTMLInputElement>(null)

  useEffect(() => {
    if (error) nameField.current?.focus()
  }, [error])

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setError(undefined)
    try {
      const created = await call('agents.create', {
        name: name.trim(),
        provider,
        model: await defaultModel(provider, model),
        system_prompt: template.system_prompt,
        tools: TEMPLATE_TOOLS,
      })
      onDone((await applyNewAgentDefaults(created)).agent)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="onboarding-body form" onSubmit={(e) => void submit(e)}>
      <fieldset className="choice-cards choice-cards-grid">
        <legend className="visually-hidden">Template</legend>
        {TEMPLATES.map((t) => (
          <label key={t.id} className="choice-card">
            <input
              type="radio"
              name={`${ids}-template`}
              checked={template.id === t.id}
              onChange={() => {
                setTemplate(t)
                setName(t.name)
              }}
            />
            <span className="choice-card-title">{t.label}</span>
            <span className="choice-card-text">{BLURBS[t.id]}</span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Name</span>
        <input
          ref={nameField}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          autoComplete="off"
          aria-describedby={`${ids}-name-help`}
          aria-invalid={error ? true : undefined}
        />
      </label>
      <p id={`${ids}-name-help`} className="muted small">
        Letters, digits, “-”, “_” or “.”, no spaces. You can change its instructions, model and tools later.
      </p>
      <ErrorLine text={error} />
      <div className="onboarding-nav">
        <button type="submit" className="button button-primary" disabled={busy || !name.trim()}>
          {busy ? 'Creating…' : 'Create agent'}
        </button>
      </div>
    </form>
  )
}
