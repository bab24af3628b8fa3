/**
 * First run, in three steps a person can follow without a manual: connect a
 * model, create a first agent from a template, run a first task and watch
 * the answer stream. Skippable at any step and resumable (progress is kept
 * in this browser); it ends on the new agent's page. Focus moves to each
 * step's heading so keyboard and screen-reader users land in the new step.
 */
import { useEffect, useRef, useState } from 'react'
import { useLocation } from 'wouter'
import type { ProviderKind } from '../api'
import { loadProgress, resumeAt, saveProgress, type Progress, type Step } from '../state/onboarding'
import { useCall } from '../state/useCall'
import { BrandMark } from '../components/BrandMark'
import { RunPanel } from '../components/RunPanel'
import { AgentStep } from '../components/onboarding/AgentStep'
import { ConnectStep } from '../components/onboarding/ConnectStep'
import '../styles/onboarding.css'

const STEPS: { step: Step; title: string; lead: string }[] = [
  {
    step: 1,
    title: 'Connect a model',
    lead: 'Reverie’s agents think with a language model. Use your Anthropic key, or a model server you already run on this computer.',
  },
  {
    step: 2,
    title: 'Create your first agent',
    lead: 'An agent is Claude with a job. Pick a starting point; Reverie gives it instructions and its own memory.',
  },
  {
    step: 3,
    title: 'Give it a first task',
    lead: 'Ask for something small. The answer appears as it is written, and the session is kept for tonight’s dream.',
  },
]

export function OnboardingPage() {
  const [, navigate] = useLocation()
  const agents = useCall('agents.list', {})
  const anthropic = useCall('keys.status', { provider: 'anthropic' })
  const openaiUrl = useCall('settings.get', { key: 'provider.openai.base_url' })
  const [progress, setProgress] = useState<Progress>(() => loadProgress())
  const [step, setStep] = useState<Step>()
  const heading = useRef<HTMLHeadingElement>(null)
  const moved = useRef(false)

  // Where to resume, once the engine has said what is already set up (decided once, during render).
  const known = agents.status !== 'loading' && anthropic.status !== 'loading' && openaiUrl.status !== 'loading'
  if (known && step === undefined) {
    setStep(
      resumeAt(
        {
          agents: agents.status === 'ok' ? agents.data.length : 0,
          anthropic: anthropic.status === 'ok' ? anthropic.data : undefined,
          openaiBaseUrl: openaiUrl.status === 'ok' ? openaiUrl.data : undefined,
        },
        progress,
      ),
    )
  }

  useEffect(() => {
    document.title = 'Welcome · Reverie'
  }, [])

  // A new step puts focus on its heading (not on first load: the browser keeps it at the top).
  useEffect(() => {
    if (step === undefined) return
    if (moved.current && step !== 3) heading.current?.focus()
    moved.current = true
  }, [step])

  const update = (next: Progress) => {
    setProgress(next)
    saveProgress(next)
    setStep(next.step)
  }

  const leave = (to: string) => {
    saveProgress({ ...progress, closed: true })
    navigate(to)
  }

  const current = STEPS.find((s) => s.step === step)

  return (
    <div className="onboarding">
      <main className="onboarding-card" aria-labelledby="onboarding-title">
        <header className="onboarding-header">
          <BrandMark />
          <h1 id="onboarding-title">Welcome to Reverie</h1>
          <p className="muted">Three short steps, and your first agent is at work.</p>
        </header>
        <ol className="onboarding-steps" aria-label="Setup steps">
          {STEPS.map((s) => (
            <li
              key={s.step}
              aria-current={s.step === step ? 'step' : undefined}
              className={step !== undefined && s.step < step ? 'done' : undefined}
            >
              <span className="onboarding-step-number" aria-hidden="true">
                {step !== undefined && s.step < step ? '✓' : s.step}
              </span>
              <span>
                {s.title}
                {step !== undefined && s.step < step && <span className="visually-hidden"> (done)</span>}
              </span>
            </li>
          ))}
        </ol>
        {!known && <p className="muted">Checking what is already set up…</p>}
        {current && (
          <section aria-labelledby="onboarding-step-title" className="onboarding-step">
            <h2 id="onboarding-step-title" ref={heading} tabIndex={-1}>
              Step {current.step} of 3: {current.title}
            </h2>
            <p className="onboarding-lead">{current.lead}</p>
            {step === 1 && (
              <ConnectStep
                provider={progress.provider}
                onDone={(provider: ProviderKind, model?: string) => update({ ...progress, step: 2, provider, model })}
              />
            )}
            {step === 2 && (
              <AgentStep
                provider={progress.provider ?? 'anthropic'}
                model={progress.model}
                onDone={(agent) => update({ ...progress, step: 3, agent: agent.name })}
              />
            )}
            {step === 3 && progress.agent && (
              <>
                <RunPanel agent={progress.agent} />
                <div className="onboarding-nav">
                  <button
                    type="button"
                    className="button button-primary"
                    onClick={() => leave(`/agents/${encodeURIComponent(progress.agent!)}`)}
                  >
                    Finish and open {progress.agent}
                  </button>
                </div>
              </>
            )}
          </section>
        )}
        <footer className="onboarding-footer">
          {step === 2 && (
            <button type="button" className="button button-quiet" onClick={() => update({ ...progress, step: 1 })}>
              Back
            </button>
          )}
          <button type="button" className="button button-quiet" onClick={() => leave('/agents')}>
            Skip setup
          </button>
        </footer>
      </main>
    </div>
  )
}
