/**
 * Provider and model for an agent: the provider's models from the engine
 * (`models.list`: Anthropic's with prices; a local server's as it lists
 * them) offered as suggestions, any other model name accepted as typed.
 */
import { useId } from 'react'
import type { ModelList, ProviderKind } from '../../api'
import { useCall } from '../../state/useCall'

const fmt = (usd: number) => `$${usd % 1 === 0 ? usd.toFixed(0) : usd.toFixed(2)}`

export function ModelField({
  provider,
  model,
  onProvider,
  onModel,
  modelLabel = 'Model',
  required = true,
}: {
  provider: ProviderKind
  model: string
  onProvider?: (provider: ProviderKind) => void
  onModel: (model: string) => void
  modelLabel?: string
  required?: boolean
}) {
  const ids = useId()
  const models = useCall('models.list', { provider })
  const list = models.status === 'ok' ? models.data.models : []
  const chosen = list.find((m) => m.id === model.trim())
  const price =
    chosen && chosen.input_usd_per_mtok !== null && chosen.output_usd_per_mtok !== null
      ? `${fmt(chosen.input_usd_per_mtok)} in, ${fmt(chosen.output_usd_per_mtok)} out per million tokens.`
      : provider === 'openai'
        ? localHint(models.status === 'ok' ? models.data : undefined, model.trim())
        : model.trim()
          ? 'Reverie has no price for this model; costs show as unknown.'
          : ''

  return (
    <div className="field-row">
      {onProvider && (
        <label className="field field-narrow">
          <span>Provider</span>
          <select value={provider} onChange={(e) => onProvider(e.target.value as ProviderKind)}>
            <option value="anthropic">Anthropic</option>
            <option value="openai">OpenAI-compatible</option>
          </select>
        </label>
      )}
      <div className="field">
        <label htmlFor={`${ids}-model`}>{modelLabel}</label>
        <input
          id={`${ids}-model`}
          list={`${ids}-models`}
          value={model}
          onChange={(e) => onModel(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          required={required}
          aria-describedby={`${ids}-price`}
        />
        <datalist id={`${ids}-models`}>
          {list.map((m) => (
            <option key={m.id} value={m.id} />
          ))}
        </datalist>
        <p id={`${ids}-price`} className="field-hint" data-testid="model-price">
          {price}
        </p>
        {provider === 'openai' && chosen && <LocalModelNotes provider={provider} model={chosen.id} />}
      </div>
    </div>
  )
}

/** What a local server says about a model it runs: its context, and a chat
 * template that cannot call tools (the server then drops them silently). */
function LocalModelNotes({ provider, model }: { provider: ProviderKind; model: string }) {
  const caps = useCall('models.capabilities', { provider, model })
  if (caps.status !== 'ok') return null
  const { context_tokens, supports_tools } = caps.data
  return (
    <>
      {context_tokens !== null && (
        <p className="field-hint" data-testid="model-context">
          The server runs {model} with room for {context_tokens.toLocaleString()} tokens; dreams and grading size
          themselves to it.
        </p>
      )}
      {supports_tools === false && (
        <p className="field-hint field-hint-error" role="note" data-testid="model-no-tools">
          This model’s chat template on your server cannot call tools, so the agent’s memory and workspace will not
          work with it. Pick a model made for tool use, or start the server with a template that supports tools.
        </p>
      )}
    </>
  )
}

/** What to say about a local server's model: listed, unknown, or unasked. */
function localHint(list: ModelList | undefined, model: string): string {
  if (!list) return ''
  if (!list.live) {
    return `Reverie could not ask the server for its models (${list.live_error ?? 'no answer'}); type the name your server uses.`
  }
  if (!model || list.models.some((m) => m.id === model)) {
    return 'A model your local server has; it costs nothing per token.'
  }
  const names = list.models.slice(0, 3).map((m) => m.id)
  return names.length === 0
    ? `Your server lists no models yet; load “${model}” there first.`
    : `Your server does not list “${model}”; it has ${names.join(', ')}${list.models.length > 3 ? '…' : ''}.`
}
