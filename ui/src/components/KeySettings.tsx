/**
 * One provider's model key in Settings: paste it (stored by the engine in the
 * keychain with `keys.set`), then see only its hint and where it was found,
 * test the connection, or remove it. For the OpenAI-compatible provider, also
 * its base URL. It never shows, logs or keeps a key after sending it.
 */
import { useId, useState, type FormEvent } from 'react'
import { ApiError, call, type ProviderKind } from '../api'
import { useCall } from '../state/useCall'
import { useProviderAddress } from './settings/KeyHostConfirm'
import { NoteLine } from './NoteLine'

const LABELS: Record<ProviderKind, string> = { anthropic: 'Anthropic', openai: 'OpenAI-compatible' }
const SOURCES: Record<string, string> = { keychain: 'the system keychain', environment: 'an environment variable' }

function sentence(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e)
}

/** `onChanged`: called after the key was saved, tested or removed (other sections show its status too). */
export function KeySettings({ provider, onChanged }: { provider: ProviderKind; onChanged?: () => void }) {
  const ids = useId()
  const label = LABELS[provider]
  const [refresh, setRefresh] = useState(0)
  const status = useCall('keys.status', { provider }, refresh)
  const [key, setKey] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ ok: boolean; text: string }>()

  const act = async (work: () => Promise<{ ok: boolean; text: string } | undefined>) => {
    setBusy(true)
    setMessage(undefined)
    try {
      setMessage(await work())
    } catch (e) {
      setMessage({ ok: false, text: sentence(e) })
    } finally {
      setBusy(false)
      setRefresh((n) => n + 1)
      onChanged?.()
    }
  }

  const save = (event: FormEvent) => {
    event.preventDefault()
    const pasted = key.trim()
    if (!pasted) return
    // The field is emptied before the call so the key lives in the page no longer than needed.
    setKey('')
    void act(async () => {
      await call('keys.set', { provider, key: pasted })
      return { ok: true, text: `${label} key saved.` }
    })
  }

  const test = () =>
    act(async () => {
      const result = await call('keys.test', { provider })
      return { ok: result.ok, text: result.message }
    })

  const remove = () =>
    act(async () => {
      const { removed } = await call('keys.delete', { provider })
      return { ok: true, text: removed ? `${label} key removed from the keychain.` : 'There was no key in the keychain.' }
    })

  const found = status.status === 'ok' && status.data.available

  return (
    <div className="panel" aria-labelledby={`${ids}-title`} role="group">
      <h3 id={`${ids}-title`}>{label}</h3>
      {status.status === 'loading' && <p className="muted">Checking for a key…</p>}
      {status.status === 'error' && (
        <p className="notice notice-error" role="alert">
          {status.error.message}
        </p>
      )}
      {status.status === 'ok' && (
        <p data-testid={`key-status-${provider}`}>
          {found
            ? `A key ending in ${status.data.hint ?? '…'} is set, from ${SOURCES[status.data.source ?? ''] ?? status.data.source}.`
            : status.data.error
              ? status.data.error
              : 'No key yet.'}
        </p>
      )}
      <form className="key-row" onSubmit={save}>
        <label className="field">
          <span>{found ? 'Replace the key' : 'Paste your key'}</span>
          <input
            type="password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit" className="button button-primary" disabled={busy || !key.trim()}>
          Save key
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => void test()}>
          Test connection
        </button>
        {found && status.data.source === 'keychain' && (
          <button type="button" className="button button-danger" disabled={busy} onClick={() => void remove()}>
            Remove key
          </button>
        )}
      </form>
      {provider === 'openai' && <BaseUrl />}
      <NoteLine note={message} okClassName="notice" />
    </div>
  )
}

const BASE_URL_KEY = 'provider.openai.base_url'

/** The OpenAI-compatible server's address (`settings.set provider.openai.base_url`). */
function BaseUrl() {
  const saved = useCall('settings.get', { key: BASE_URL_KEY })
  const [draft, setDraft] = useState<string>()
  const [note, setNote] = useState<{ ok: boolean; text: string }>()
  const value = draft ?? (saved.status === 'ok' ? (saved.data ?? '') : '')
  const address = useProviderAddress()

  const save = async (event: FormEvent) => {
    event.preventDefault()
    try {
      if (!(await address.save(BASE_URL_KEY, value.trim()))) {
        setNote({ ok: false, text: 'Nothing saved: the base URL stays as it was.' })
        return
      }
      setNote({ ok: true, text: 'Base URL saved.' })
    } catch (e) {
      setNote({ ok: false, text: sentence(e) })
    }
  }

  return (
    <form className="key-row" onSubmit={(e) => void save(e)}>
      <label className="field">
        <span>Base URL</span>
        <input
          type="url"
          value={value}
          placeholder="http://127.0.0.1:11434/v1"
          onChange={(e) => setDraft(e.target.value)}
          autoComplete="off"
        />
      </label>
      <button type="submit" className="button">
        Save URL
      </button>
      {address.dialog}
      <NoteLine note={note} okClassName="muted small" />
    </form>
  )
}
