/** Settings: appearance, model keys, providers and default models, the dream schedule and budget, Claude Managed Agents, and where the data lives. */
import { useId, useState } from 'react'
import { transport } from '../api'
import { useCall } from '../state/useCall'
import { CallError } from '../components/CallError'
import { KeySettings } from '../components/KeySettings'
import { Page } from '../components/Page'
import { DataFolder } from '../components/settings/DataFolder'
import { DreamSettings } from '../components/settings/DreamSettings'
import { StartAtLogin } from '../components/settings/StartAtLogin'
import { ManagedAgentsSettings } from '../components/settings/ManagedAgentsSettings'
import { ProviderSettings } from '../components/settings/ProviderSettings'
import '../styles/agents.css'
import { setPreference, useTheme, type ThemePreference } from '../state/theme'

const CHOICES: { value: ThemePreference; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
]

export function SettingsPage() {
  const { preference } = useTheme()
  const name = useId()
  const engine = transport()
  const info = useCall('app.info', {})
  const connected = !(info.status === 'error' && info.error.kind === 'not_connected')
  // Claude Managed Agents shows the Anthropic key's status too.
  const [keyChanges, setKeyChanges] = useState(0)
  const keyChanged = () => setKeyChanges((n) => n + 1)

  return (
    <Page title="Settings" description="How Reverie looks, which models it uses, when agents dream, and where your data lives.">
      <section className="section" aria-labelledby="appearance-title">
        <h2 id="appearance-title">Appearance</h2>
        <p>“System” follows your computer’s light or dark setting.</p>
        <fieldset className="segmented">
          <legend className="visually-hidden">Theme</legend>
          {CHOICES.map(({ value, label }) => (
            <label key={value}>
              <input
                type="radio"
                name={name}
                value={value}
                checked={preference === value}
                onChange={() => setPreference(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
      </section>
      <section className="section" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <p>Reverie keeps model keys in your system keychain and only ever shows their last characters.</p>
        {info.status === 'error' && info.error.kind === 'not_connected' ? (
          <p className="muted">Connect to an engine to set keys.</p>
        ) : (
          <>
            <KeySettings provider="anthropic" onChanged={keyChanged} />
            <KeySettings provider="openai" />
          </>
        )}
      </section>
      {connected && (
        <>
          <section className="section" aria-labelledby="providers-title">
            <h2 id="providers-title">Providers and models</h2>
            <p>The address Reverie sends Anthropic requests to, and the model each new agent starts with.</p>
            <ProviderSettings />
          </section>
          <section className="section" aria-labelledby="dreams-title">
            <h2 id="dreams-title">Dreams</h2>
            <p>While you are away, each agent reviews its recent sessions and tidies its memory.</p>
            <DreamSettings />
            <StartAtLogin />
          </section>
          <section className="section" aria-labelledby="managed-title">
            <h2 id="managed-title">Claude Managed Agents</h2>
            <p>
              For teams that outgrow one machine: keep memory stores in sync on Anthropic’s platform and run dreams there.
              Off unless you turn it on.
            </p>
            <ManagedAgentsSettings refresh={keyChanges} />
          </section>
        </>
      )}
      <section className="section" aria-labelledby="engine-title">
        <h2 id="engine-title">Engine</h2>
        <dl className="facts">
          <dt>Connected to</dt>
          <dd data-testid="engine-transport">{engine.description}</dd>
          {info.status === 'ok' && (
            <>
              <dt>Data folder</dt>
              <dd>
                <DataFolder path={info.data.data_dir} />
              </dd>
              <dt>Version</dt>
              <dd>{info.data.version}</dd>
            </>
          )}
        </dl>
        {info.status === 'error' && info.error.kind !== 'not_connected' && <CallError error={info.error} />}
      </section>
    </Page>
  )
}
