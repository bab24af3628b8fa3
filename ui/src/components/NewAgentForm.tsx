/**
 * "New agent": pick one of four templates, adjust name, model, provider and
 * instructions, and create it with `agents.create`. It owns only the form's
 * own state; it never edits an existing agent and never retries on its own.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { ApiError, call, type Agent, type NewAgent, type ProviderKind } from '../api'
import { DEFAULT_MODEL, TEMPLATE_TOOLS, TEMPLATES, type AgentTemplate } from '../state/agentTemplates'
import { ErrorLine } from './NoteLine'

interface NewAgentFormProps {
  onCreated: (agent: Agent) => void
  onCancel: () => void
}

export function NewAgentForm({ onCreated, onCancel }: NewAgentFormProps) {
  const ids = useId()
  const [template, setTemplate] = useState(TEMPLATES[0])
  const [name, setName] = useState(TEMPLATES[0].name)
  const [model, setModel] = useState(DEFAULT_MODEL)
  const [provider, setProvider] = useState<ProviderKind>('anthropic')
  const [prompt, setPrompt] = useState(TEMPLATES[0].system_prompt)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const firstField = useRef<HTMLInputElement>(null)

  // Opening the form puts the keyboard in it.
  useEffect(() => firstField.current?.focus(), [])

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      onCancel()
    }
  }

  const choose = (next: AgentTemplate) => {
    setTemplate(next)
    setName(next.name)
    setPrompt(next.system_prompt)
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    const agent: NewAgent = {
      name: name.trim(),
      provider,
      model: model.trim(),
      system_prompt: prompt,
      tools: TEMPLATE_TOOLS,
    }
    try {
      onCreated(await call('agents.create', agent))
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section
      className="panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby={`${ids}-title`}
      onKeyDown={onKeyDown}
    >
      <h2 id={`${ids}-title`}>New agent</h2>
      <form onSubmit={submit} className="form">
        <fieldset className="segmented">
          <legend>Template</legend>
          {TEMPLATES.map((t) => (
            <label key={t.id}>
              <input
                type="radio"
                name={`${ids}-template`}
                value={t.id}
                checked={template.id === t.id}
                onChange={() => choose(t)}
              />
              {t.label}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Name</span>
          <input
            ref={firstField}
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            autoComplete="off"
          />
        </label>
        <div className="field-row">
          <label className="field">
            <span>Model</span>
            <input value={model} onChange={(e) => setModel(e.target.value)} required autoComplete="off" />
          </label>
          <label className="field">
            <span>Provider</span>
            <select value={provider} onChange={(e) => setProvider(e.target.value as ProviderKind)}>
              <option value="anthropic">Anthropic</option>
              <option value="openai">OpenAI-compatible</option>
            </select>
          </label>
        </div>
        <label className="field">
          <span>Instructions</span>
          <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={4} />
        </label>
        <ErrorLine text={error} />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create agent'}
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  )
}
