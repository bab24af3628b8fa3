/**
 * Onboarding step 1: connect a model. Either paste an Anthropic API key
 * (the engine stores it in the system keychain, then the connection is
 * tested) or give the address of an OpenAI-compatible server on this
 * computer and the model it serves. It never keeps a key after sending it.
 */
import { useId, useState, type FormEvent } from 'react'
import { ApiError, call, type ProviderKind } from '../../api'
import { useCall } from '../../state/useCall'
import { useProviderAddress } from '../settings/KeyHostConfirm'

const LOCAL_URL = 'http://127.0.0.1:11434/v1'
const LOCAL_MODEL = 'llama3.2'

interface Result {
  ok: boolean
  text: string
}

function sentence(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e)
}

export function ConnectStep({
  provider: initial,
  onDone,
}: {
  provider?: ProviderKind
  onDone: (provider: ProviderKind, model?: string) => void
}) {
  const ids = useId()
  const [provider, setProvider] = useState<ProviderKind>(initial ?? 'anthropic')
  const anthropic = useCall('keys.status', { provider: 'anthropic' })
  const savedUrl = useCall('settings.get', { key: 'provider.openai.base_url' })
  const [key, setKey] = useState('')
  const [url, setUrl] = useState<string>()
  const [model, setModel] = useState(LOCAL_MODEL)
  const [busy, setBusy] = useState(false)
  const addressSaver = useProviderAddress()
  const [result, setResult] = useState<Result>()
  // Saved (the key is in the keychain or the address in Settings), whatever the test said.
  const [saved, setSaved] = useState(false)

  const urlValue = url ?? (savedUrl.status === 'ok' && savedUrl.data ? savedUrl.data : LOCAL_URL)
  const keySet = anthropic.status === 'ok' && anthropic.data.available

  const choose = (next: ProviderKind) => {
    setProvider(next)
    setResult(undefined)
    setSaved(false)
  }

  const saveKey = async (event: FormEvent) => {
    event.preventDefault()
    const pasted = key.trim()
    if (!pasted || busy) return
    setKey('')
    setBusy(true)
    setResult(undefined)
    try {
      await call('keys.set', { provider: 'anthropic', key: pasted })
      setSaved(true)
      const test = await call('keys.test', { provider: 'anthropic' })
      setResult({
        ok: test.ok,
        text: test.ok
          ? 'Connected. Your key is in the system keychain.'
          : `${test.message} Check the key and paste it again, or continue and fix it later in Settings.`,
      })
    } catch (e) {
      setResult({ ok: false, text: sentence(e) })
    } finally {
      setBusy(false)
    }
  }

  const saveLocal = async (event: FormEvent) => {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    setResult(undefined)
    try {
      const address = urlValue.trim()
      if (!/^https?:\/\//.test(address)) {
        throw new Error('Type the server’s full address, like http://127.0.0.1:11434/v1.')
      }
      if (!model.trim()) throw new Error('Type the name of a model the server has, like llama3.2.')
      if (!(await addressSaver.save('provider.openai.base_url', address))) {
        setResult({ ok: false, text: 'Nothing saved: the server address stays as it was.' })
        return
      }
      await call('settings.set', { key: 'defaults.model.openai', value: model.trim() })
      await call('settings.set', { key: 'provider.openai.test_model', value: model.trim() })
      setSaved(true)
      const test = await call('keys.test', { provider: 'openai' })
      setResult({
        ok: test.ok,
        text: test.ok
          ? `Connected to ${address}.`
          : `${test.message} Start the server and test again, or continue and fix it later in Settings.`,
      })
    } catch (e) {
      setResult({ ok: false, text: e instanceof Error ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }

  const ready = saved || (provider === 'anthropic' && keySet)

  return (
    <div className="onboarding-body">
      <fieldset className="choice-cards">
        <legend className="visually-hidden">How Reverie reaches a model</legend>
        <label className="choice-card">
          <input
            type="radio"
            name={`${ids}-provider`}
            checked={provider === 'anthropic'}
            onChange={() => choose('anthropic')}
          />
          <span className="choice-card-title">Anthropic API key</span>
          <span className="choice-card-text">Claude models, billed to your Anthropic account. Recommended.</span>
        </label>
        <label className="choice-card">
          <input type="radio" name={`${ids}-provider`} checked={provider === 'openai'} onChange={() => choose('openai')} />
          <span className="choice-card-title">A model server on this computer</span>
          <span className="choice-card-text">Ollama, LM Studio, llama.cpp or vLLM, already running.</span>
        </label>
      </fieldset>

      {provider === 'anthropic' && (
        <form className="form" onSubmit={(e) => void saveKey(e)}>
          {keySet && !saved && (
            <p className="notice notice-ok" data-testid="onboarding-key-found">
              A key ending in {anthropic.data.hint ?? '…'} is already set. You can continue, or paste another.
            </p>
          )}
          <label className="field">
            <span>Paste your key</span>
            <input
              type="password"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder="sk-ant-…"
              aria-describedby={`${ids}-key-help`}
            />
          </label>
          <p id={`${ids}-key-help`} className="muted small">
            Create one at console.anthropic.com under “API keys”. Reverie keeps it in your system keychain, never in
            a file.
          </p>
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy || !key.trim()}>
              {busy ? 'Testing…' : 'Save and test'}
            </button>
          </div>
        </form>
      )}

      {provider === 'openai' && (
        <form className="form" onSubmit={(e) => void saveLocal(e)}>
          <div className="field-row">
            <label className="field">
              <span>Server address</span>
              <input
                type="url"
                value={urlValue}
                onChange={(e) => setUrl(e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            </label>
            <label className="field field-narrow">
              <span>Model</span>
              <input value={model} onChange={(e) => setModel(e.target.value)} autoComplete="off" spellCheck={false} />
            </label>
          </div>
          <p className="muted small">
            Ollama listens on http://127.0.0.1:11434/v1, LM Studio on http://127.0.0.1:1234/v1.
          </p>
          {addressSaver.dialog}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Testing…' : 'Save and test'}
            </button>
          </div>
        </form>
      )}

      {result && (
        <p
          className={result.ok ? 'notice notice-ok' : 'notice notice-error'}
          role={result.ok ? 'status' : 'alert'}
          data-testid="onboarding-connect-result"
        >
          {result.text}
        </p>
      )}
      <div className="onboarding-nav">
        <button
          type="button"
          className={result?.ok || (keySet && !saved) ? 'button button-primary' : 'button'}
          disabled={!ready || busy}
          onClick={() => onDone(provider, provider === 'openai' ? model.trim() : undefined)}
        >
          {ready && result && !result.ok ? 'Continue anyway' : 'Continue'}
        </button>
      </div>
    </div>
  )
}
