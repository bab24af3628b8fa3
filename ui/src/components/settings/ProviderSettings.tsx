/**
 * Settings › Providers and models: the Anthropic API address (empty: the
 * public one; `ANTHROPIC_BASE_URL` overrides it) and the model new agents
 * start with for each provider (`defaults.model.anthropic|openai`). The
 * OpenAI-compatible server's address sits with its key above.
 */
import { useState, type FormEvent } from 'react'
import { ApiError, call } from '../../api'
import { DEFAULT_MODEL } from '../../state/agentTemplates'
import { useCall } from '../../state/useCall'
import { ModelField } from '../agents/ModelField'
import { useProviderAddress } from './KeyHostConfirm'
import { NoteLine } from '../NoteLine'

const ANTHROPIC_URL = 'provider.anthropic.base_url'

export function ProviderSettings() {
  const url = useCall('settings.get', { key: ANTHROPIC_URL })
  const anthropicModel = useCall('settings.get', { key: 'defaults.model.anthropic' })
  const openaiModel = useCall('settings.get', { key: 'defaults.model.openai' })
  const [draft, setDraft] = useState<{ url?: string; anthropic?: string; openai?: string }>({})
  const [note, setNote] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState(false)
  const addressSaver = useProviderAddress()

  const value = (d: string | undefined, saved: typeof url, fallback: string) =>
    d ?? (saved.status === 'ok' ? (saved.data ?? fallback) : fallback)
  const urlValue = value(draft.url, url, '')
  const anthropicValue = value(draft.anthropic, anthropicModel, DEFAULT_MODEL)
  const openaiValue = value(draft.openai, openaiModel, '')

  const save = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setNote(undefined)
    try {
      const address = urlValue.trim()
      if (address && !/^https?:\/\/\S+$/.test(address)) {
        throw new Error('Type the full address, like https://api.anthropic.com, or leave it empty.')
      }
      if (!anthropicValue.trim()) throw new Error('Pick a default Anthropic model, like claude-sonnet-4-5.')
      if (!(await addressSaver.save(ANTHROPIC_URL, address))) {
        setNote({ ok: false, text: 'Nothing saved: the API address stays as it was.' })
        return
      }
      await call('settings.set', { key: 'defaults.model.anthropic', value: anthropicValue.trim() })
      await call('settings.set', { key: 'defaults.model.openai', value: openaiValue.trim() })
      setNote({ ok: true, text: 'Providers and default models saved.' })
    } catch (e) {
      setNote({ ok: false, text: e instanceof ApiError || e instanceof Error ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="form" onSubmit={(e) => void save(e)} aria-label="Providers and default models">
      <label className="field">
        <span>Anthropic API address</span>
        <input
          type="url"
          value={urlValue}
          placeholder="https://api.anthropic.com"
          onChange={(e) => setDraft({ ...draft, url: e.target.value })}
          autoComplete="off"
          aria-describedby="anthropic-url-hint"
        />
      </label>
      <p id="anthropic-url-hint" className="field-hint">
        Leave empty to use Anthropic directly. A proxy or gateway goes here.
      </p>
      <ModelField
        provider="anthropic"
        model={anthropicValue}
        onModel={(m) => setDraft({ ...draft, anthropic: m })}
        modelLabel="Default Anthropic model"
      />
      <ModelField
        provider="openai"
        model={openaiValue}
        onModel={(m) => setDraft({ ...draft, openai: m })}
        modelLabel="Default local model"
        required={false}
      />
      {addressSaver.dialog}
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          Save providers and models
        </button>
      </div>
      <NoteLine note={note} okClassName="notice notice-ok" />
    </form>
  )
}
