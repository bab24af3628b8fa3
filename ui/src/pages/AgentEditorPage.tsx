/**
 * One agent, to read and change: model, instructions, tools, default rubric
 * and dreams are a draft saved together with `agents.update` (Save, or
 * Ctrl+S / ⌘+S); memory stores and subagents apply at once; delete sits
 * behind a confirmation. It owns the draft; the engine validates (a bad
 * dream schedule comes back as one sentence) and keeps the agent.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { Link, useLocation } from 'wouter'
import { useParams } from '../state/router'
import { ApiError, call, type Agent } from '../api'
import { changes, draftFrom, isDirty, parseLimits, toggleTool, TOOLS, type AgentDraft } from '../state/agentDraft'
import { useCall } from '../state/useCall'
import { CallError } from '../components/CallError'
import { LeaveGuard } from '../components/LeaveGuard'
import { Page } from '../components/Page'
import { RunPanel } from '../components/RunPanel'
import { DeleteAgent } from '../components/agents/DeleteAgent'
import { ModelField } from '../components/agents/ModelField'
import { RosterSection } from '../components/agents/RosterSection'
import { ScheduleField } from '../components/agents/ScheduleField'
import { LimitsSection } from '../components/agents/LimitsSection'
import { StoresSection } from '../components/agents/StoresSection'
import { ChecksSection } from '../components/evals/ChecksSection'
import { CompareMemory } from '../components/evals/CompareMemory'
import { GateSettings } from '../components/evals/GateSettings'
import { ResultsSection } from '../components/outcomes/ResultsSection'
import '../styles/evals.css'
import '../styles/agents.css'
import '../styles/onboarding.css'

export function AgentEditorPage() {
  const { name = '' } = useParams()
  const loaded = useCall('agents.get', { name })
  const [agent, setAgent] = useState<Agent>()
  const [draft, setDraft] = useState<AgentDraft>()
  const [seen, setSeen] = useState<Agent>()

  // A new answer from the engine (another agent opened) replaces the draft.
  if (loaded.status === 'ok' && loaded.data !== seen) {
    setSeen(loaded.data)
    setAgent(loaded.data)
    setDraft(draftFrom(loaded.data))
  }

  // One Page for every state, so its heading (focused on arrival) stays the
  // same element when the agent finishes loading and keyboard focus holds.
  const loading = loaded.status === 'loading' || (loaded.status === 'ok' && (!agent || !draft))
  return (
    <Page title={name} description="Its model, instructions, tools, memory, subagents, how it dreams and the checks that prove a dream helps.">
      {loading ? (
        <p className="muted">Loading {name}…</p>
      ) : loaded.status === 'error' ? (
        <>
          <BackLink />
          {loaded.error.kind === 'not_found' ? (
            <p className="notice">
              There is no agent named “{name}”. It may have been deleted; pick one on the{' '}
              <Link to="/agents">Agents</Link> screen.
            </p>
          ) : (
            <CallError error={loaded.error} />
          )}
        </>
      ) : (
        <Editor agent={agent!} draft={draft!} setDraft={setDraft} setAgent={setAgent} />
      )}
    </Page>
  )
}

function BackLink() {
  return (
    <Link to="/agents" className="back-link">
      ← All agents
    </Link>
  )
}

function Editor({
  agent,
  draft,
  setDraft,
  setAgent,
}: {
  agent: Agent
  draft: AgentDraft
  setDraft: (d: AgentDraft) => void
  setAgent: (a: Agent) => void
}) {
  const ids = useId()
  const [, navigate] = useLocation()
  const rubrics = useCall('rubrics.list', {})
  const [saving, setSaving] = useState(false)
  const [note, setNote] = useState<{ ok: boolean; text: string }>()
  const [running, setRunning] = useState(false)
  const form = useRef<HTMLFormElement>(null)
  const dirty = isDirty(agent, draft)
  // A deleted agent has no draft to keep: leave once the guard knows.
  const [deleted, setDeleted] = useState(false)
  useEffect(() => {
    if (deleted) navigate('/agents')
  }, [deleted, navigate])
  const set = (patch: Partial<AgentDraft>) => {
    setDraft({ ...draft, ...patch })
    setNote(undefined)
  }

  const save = async (event?: FormEvent) => {
    event?.preventDefault()
    if (saving) return
    const limits = parseLimits(draft.limits)
    if ('errors' in limits) {
      setNote({ ok: false, text: `Not saved: ${Object.values(limits.errors).join(' ')}` })
      return
    }
    const update = changes(agent, draft)
    if (Object.keys(update).length === 0) {
      setNote({ ok: true, text: 'Nothing to save: everything is as saved.' })
      return
    }
    setSaving(true)
    setNote(undefined)
    try {
      const saved = await call('agents.update', { name: agent.name, update })
      setAgent(saved)
      setDraft(draftFrom(saved))
      setNote({ ok: true, text: `Saved ${saved.name}.` })
    } catch (e) {
      setNote({ ok: false, text: e instanceof ApiError ? e.message : String(e) })
    } finally {
      setSaving(false)
    }
  }

  // Ctrl+S / ⌘+S saves from anywhere on the screen.
  const saveRef = useRef(save)
  useEffect(() => {
    saveRef.current = save
  })
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault()
        void saveRef.current()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  return (
    <>
      <div className="editor-top">
        <BackLink />
        <button
          type="button"
          className="button"
          aria-expanded={running}
          onClick={() => setRunning((r) => !r)}
        >
          {running ? 'Hide the task box' : 'Run a task'}
        </button>
      </div>
      {running && <RunPanel agent={agent.name} />}

      <form ref={form} className="editor-form" onSubmit={(e) => void save(e)} aria-label={`Edit ${agent.name}`}>
        <section className="editor-section" aria-labelledby={`${ids}-model`}>
          <h2 id={`${ids}-model`}>Model</h2>
          <ModelField
            provider={draft.provider}
            model={draft.model}
            onProvider={(provider) => set({ provider })}
            onModel={(model) => set({ model })}
          />
        </section>

        <section className="editor-section" aria-labelledby={`${ids}-prompt`}>
          <h2 id={`${ids}-prompt`}>Instructions</h2>
          <label className="field">
            <span className="visually-hidden">Instructions</span>
            <textarea
              value={draft.system_prompt}
              onChange={(e) => set({ system_prompt: e.target.value })}
              rows={6}
              aria-describedby={`${ids}-prompt-help`}
            />
          </label>
          <p id={`${ids}-prompt-help`} className="field-hint">
            What {agent.name} is for and how it should work. It reads this at the start of every session.
          </p>
        </section>

        <section className="editor-section" aria-labelledby={`${ids}-tools`}>
          <h2 id={`${ids}-tools`}>Tools</h2>
          <fieldset className="checks">
            <legend className="visually-hidden">Tools</legend>
            {TOOLS.map((tool) => (
              <label key={tool.id} className="check">
                <input
                  type="checkbox"
                  checked={draft.tools.includes(tool.id)}
                  onChange={(e) => set({ tools: toggleTool(draft.tools, tool.id, e.target.checked) })}
                />
                <span>
                  <span className="check-title">{tool.label}</span>
                  <span className="field-hint">{tool.help}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <p className="field-hint">Delegation turns on when {agent.name} has subagents (below).</p>
        </section>

        <section className="editor-section" aria-labelledby={`${ids}-rubric`}>
          <h2 id={`${ids}-rubric`}>Default rubric</h2>
          <label className="field">
            <span className="visually-hidden">Default rubric</span>
            <select
              value={draft.default_rubric_id}
              onChange={(e) => set({ default_rubric_id: e.target.value })}
              aria-describedby={`${ids}-rubric-help`}
            >
              <option value="">None: answers are not graded</option>
              {rubrics.status === 'ok' &&
                rubrics.data.map((r) => (
                  <option key={r.id} value={r.id}>
                    {rubricTitle(r)}
                  </option>
                ))}
            </select>
          </label>
          <p id={`${ids}-rubric-help`} className="field-hint">
            {rubrics.status === 'error'
              ? rubrics.error.message
              : 'The grader checks each answer against it and sends the agent back with what is missing.'}{' '}
            <Link to="/rubrics">Edit rubrics</Link>
          </p>
        </section>

        <section className="editor-section" aria-labelledby={`${ids}-dreams`}>
          <h2 id={`${ids}-dreams`}>Dreams</h2>
          <p className="field-hint">
            A dream reviews recent sessions and proposes changes to {agent.name}’s memory.
          </p>
          <fieldset className="choice-cards">
            <legend className="visually-hidden">What happens to a dream’s changes</legend>
            <label className="choice-card">
              <input
                type="radio"
                name={`${ids}-policy`}
                checked={draft.dream_policy === 'review'}
                onChange={() => set({ dream_policy: 'review' })}
              />
              <span className="choice-card-title">Stage for review</span>
              <span className="choice-card-text">You accept or reject each change in Dreams.</span>
            </label>
            <label className="choice-card">
              <input
                type="radio"
                name={`${ids}-policy`}
                checked={draft.dream_policy === 'auto'}
                onChange={() => set({ dream_policy: 'auto' })}
              />
              <span className="choice-card-title">Apply automatically</span>
              <span className="choice-card-text">Big deletions and pinned documents still wait for you.</span>
            </label>
          </fieldset>
          <ScheduleField
            label="Dream schedule"
            value={draft.dream_schedule}
            onChange={(dream_schedule) => set({ dream_schedule })}
          />
        </section>

        <LimitsSection value={draft.limits} onChange={(limits) => set({ limits })} />

        <div className="save-bar" role="group" aria-label="Save changes">
          <span className="field-hint" aria-live="polite" data-testid="dirty-state">
            {dirty ? 'Unsaved changes' : 'All changes saved'}
          </span>
          {note && (
            <span
              className={note.ok ? 'save-note' : 'notice notice-error'}
              role={note.ok ? 'status' : 'alert'}
              data-testid="save-note"
            >
              {note.text}
            </span>
          )}
          <span className="save-bar-actions">
            <button
              type="button"
              className="button"
              disabled={!dirty || saving}
              onClick={() => {
                setDraft(draftFrom(agent))
                setNote(undefined)
              }}
            >
              Discard
            </button>
            <button
              type="submit"
              className="button button-primary"
              disabled={saving || !('ok' in parseLimits(draft.limits))}
              aria-keyshortcuts="Control+S"
            >
              {saving ? 'Saving…' : 'Save'}
            </button>
          </span>
        </div>
      </form>

      <ChecksSection agent={agent.name} defaultRubricId={agent.default_rubric_id} />
      <GateSettings key={agent.name} agent={agent} onSaved={setAgent} />
      <ResultsSection agent={agent.name} />
      <CompareMemory agent={agent.name} />
      <StoresSection agent={agent} onChange={setAgent} />
      <RosterSection agent={agent} />
      <DeleteAgent agent={agent} onDeleted={() => setDeleted(true)} />
      <LeaveGuard when={dirty && !deleted} what={agent.name} />
    </>
  )
}

/** A rubric as people named it (the name inside its document), not its stored slug. */
function rubricTitle(r: { name: string; document: string }): string {
  try {
    const title = (JSON.parse(r.document) as { name?: unknown }).name
    return typeof title === 'string' && title.trim() ? title.trim() : r.name
  } catch {
    return r.name
  }
}
