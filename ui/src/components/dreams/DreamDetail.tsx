/**
 * One dream: its facts (model, sessions, tokens, cost), the proposal as a
 * diff of the memory store change by change, decisions (one by one or all
 * at once), the regression gate (the agent's checks before and after the
 * dream), Apply, Discard, and Revert once applied. When the gate found the
 * dream makes things worse, Apply asks again with the regressions and
 * "Apply anyway" sends force.
 */
import { useCallback, useEffect, useId, useState } from 'react'
import { ApiError, call, type DreamDetail as Detail } from '../../api'
import { decisionCounts, dreamState, formatCost, plural, TRIGGER_LABEL } from '../../state/dreamView'
import { formatWhen } from '../../state/memoryTree'
import { EditCard } from './EditCard'
import { useSessionTitles } from '../../state/sessionTitles'
import { SessionList } from './SessionLinks'
import { RevertPanel } from './RevertPanel'
import { Link } from 'wouter'
import { ErrorLine, OkLine } from '../NoteLine'
import { GatePanel } from '../evals/GatePanel'

interface DreamDetailProps {
  id: string
  refresh: number
  onChanged: () => void
}

export function DreamDetail({ id, refresh, onChanged }: DreamDetailProps) {
  const ids = useId()
  const [detail, setDetail] = useState<Detail>()
  const [error, setError] = useState<string>()
  const [note, setNote] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [reverting, setReverting] = useState(false)
  // The engine's needs_confirmation sentence (the gate's regressions).
  const [confirm, setConfirm] = useState<string>()
  const titles = useSessionTitles(detail?.agent)

  const load = useCallback(() => {
    call('dreams.get', { id }).then(
      (d) => {
        setDetail(d)
        setError(undefined)
      },
      (e) => setError(e instanceof ApiError ? e.message : String(e)),
    )
  }, [id])

  useEffect(load, [load, refresh])

  const apply = async (force: boolean, done: string) => {
    setConfirm(undefined)
    setBusy(true)
    setError(undefined)
    setNote(undefined)
    try {
      await call('dreams.apply', force ? { id, force: true } : { id })
      setNote(done)
      load()
      onChanged()
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'needs_confirmation') setConfirm(e.message)
      else setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  const act = async (what: () => Promise<unknown>, done?: string) => {
    setBusy(true)
    setError(undefined)
    setNote(undefined)
    try {
      await what()
      if (done) setNote(done)
      load()
      onChanged()
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }

  if (!detail) {
    return error ? (
      <p className="notice notice-error" role="alert">
        {error}
      </p>
    ) : (
      <p className="muted">Opening the dream…</p>
    )
  }

  const { dream, agent, edits, before } = detail
  const staged = dream.status === 'completed' && dream.review === 'staged'
  const applied = dream.review === 'applied' || dream.review === 'partially_applied'
  const counts = decisionCounts(edits)
  // The engine's reason starts "held for review: …" (or "waiting for review: …"); the sentence below says that already.
  const held =
    typeof dream.progress.held_for_review === 'string'
      ? dream.progress.held_for_review.replace(/^(held for review|waiting for review):\s*/i, '')
      : undefined
  const blocked = Array.isArray(dream.progress.blocked)
    ? (dream.progress.blocked as { path: string; reason: string; origin?: { session_id?: string; excerpt?: string } }[])
    : []
  // What the dream left out or shortened (sessions for the next dream, cut transcripts, dropped findings).
  const notes = Array.isArray(dream.progress.notes)
    ? (dream.progress.notes as string[])
    : Array.isArray((dream.progress.plan as { notes?: unknown } | undefined)?.notes)
      ? ((dream.progress.plan as { notes: string[] }).notes)
      : []
  // A dream run on Claude Managed Agents and brought back (see ClaudeDream).
  const onClaude = dream.provider === 'managed-agents' ? (dream.progress.managed_agents as { dream_id?: string } | undefined) : undefined

  return (
    <section className="dream-detail" aria-labelledby={`${ids}-title`}>
      <header className="dream-detail-header">
        <h2 id={`${ids}-title`}>
          {agent}’s dream <span className="muted">· {formatWhen(dream.created_at)}</span>
        </h2>
        <span className="badge badge-accent" data-testid="dream-state">
          {dreamState(dream)}
        </span>
      </header>
      <dl className="facts dream-facts">
        <dt>Started</dt>
        <dd>{TRIGGER_LABEL[dream.trigger] ?? dream.trigger}</dd>
        {dream.provider === 'managed-agents' && (
          <>
            <dt>Ran on</dt>
            <dd>Claude Managed Agents{onClaude?.dream_id ? ` (${onClaude.dream_id})` : ''}</dd>
          </>
        )}
        <dt>Writes into</dt>
        <dd>{dream.mode === 'create_new' ? 'A new memory store (the current one stays as it is)' : 'The agent’s memory, in place'}</dd>
        <dt>Model</dt>
        <dd>{dream.model}</dd>
        <dt>Read</dt>
        <dd>
          <SessionList ids={dream.session_ids} titles={titles} dreamId={dream.id} />
        </dd>
        <dt>Tokens</dt>
        <dd>
          {dream.usage.input_tokens.toLocaleString('en')} in · {dream.usage.output_tokens.toLocaleString('en')} out
        </dd>
        <dt>Cost</dt>
        <dd>{formatCost(dream.cost_usd)}</dd>
        {dream.instructions && (
          <>
            <dt>Your instructions</dt>
            <dd>{dream.instructions}</dd>
          </>
        )}
      </dl>
      {dream.error && (
        <p className="notice notice-error" role="note">
          {dream.error}
        </p>
      )}
      {held && <p className="notice small">Held for your review because {held}.</p>}
      {blocked.length > 0 && (
        <div className="notice small">
          <p>The guards refused {plural(blocked.length, 'change')}:</p>
          <ul>
            {blocked.map((b, i) => (
              <li key={i}>
                {b.path}: {b.reason}
                {b.origin?.session_id && (
                  <>
                    {' '}
                    <Link to={`/sessions/${b.origin.session_id}`}>Open the session it came from</Link>
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {notes.length > 0 && (
        <div className="notice small" data-testid="dream-notes">
          <p>What this dream left out:</p>
          <ul>
            {notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </div>
      )}
      <ErrorLine text={error} />
      <OkLine text={note} />

      {dream.status === 'completed' && edits.length > 0 && <GatePanel dreamId={dream.id} agent={agent} refresh={refresh} />}

      {dream.status === 'completed' && edits.length === 0 && <p className="muted">This dream found nothing worth changing.</p>}

      {staged && edits.length > 0 && (
        <div className="review-bar" role="group" aria-label="Review the whole proposal">
          <p className="small" data-testid="decision-counts">
            {counts.accepted} accepted · {counts.rejected} rejected · {counts.pending} undecided
          </p>
          <div className="actions">
            <button type="button" className="button button-small" disabled={busy} onClick={() => void act(() => call('dreams.decide_all', { id, decision: 'accepted' }))}>
              Accept all
            </button>
            <button type="button" className="button button-small" disabled={busy} onClick={() => void act(() => call('dreams.decide_all', { id, decision: 'rejected' }))}>
              Reject all
            </button>
          </div>
        </div>
      )}

      <div className="edit-list">
        {edits.map((edit) => (
          <EditCard
            titles={titles}
            dreamId={detail.dream.id}
            key={edit.id}
            edit={edit}
            before={before}
            staged={staged}
            busy={busy}
            onDecide={(decision) => void act(() => call('dreams.decide', { edit_id: edit.id, decision }))}
          />
        ))}
      </div>

      {staged && edits.length > 0 && (
        <div className="apply-bar">
          <button
            type="button"
            className="button button-primary"
            disabled={busy || counts.pending > 0 || counts.accepted === 0}
            onClick={() => void apply(false, `Applied ${plural(counts.accepted, 'change')} to ${agent}’s memory.`)}
            aria-describedby={`${ids}-apply-hint`}
          >
            Apply {plural(counts.accepted, 'accepted change')}
          </button>
          <button type="button" className="button" disabled={busy} onClick={() => void act(() => call('dreams.reject', { id }), 'Discarded the proposal; memory was not changed.')}>
            Discard proposal
          </button>
          <span className="muted small" id={`${ids}-apply-hint`}>
            {counts.pending > 0
              ? 'Accept or reject every change first.'
              : counts.accepted === 0
                ? 'Nothing is accepted; discard the proposal instead.'
                : 'Applies in one step; you can revert it later.'}
          </span>
        </div>
      )}
      {staged && confirm && (
        <div className="notice" role="alertdialog" aria-label="The checks got worse" data-testid="apply-confirm">
          <p>{confirm}</p>
          <div className="actions">
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              onClick={() => void apply(true, `Applied ${plural(counts.accepted, 'change')} to ${agent}’s memory despite the regressions.`)}
            >
              Apply anyway
            </button>
            <button type="button" className="button" disabled={busy} onClick={() => setConfirm(undefined)}>
              Keep it for review
            </button>
          </div>
        </div>
      )}

      {applied && !reverting && (
        <div className="apply-bar">
          <button type="button" className="button" onClick={() => setReverting(true)}>
            Revert this dream…
          </button>
          <span className="muted small">Applied {dream.applied_at ? formatWhen(dream.applied_at) : ''}. Reverting puts back what was there before.</span>
        </div>
      )}
      {applied && reverting && (
        <RevertPanel
          dreamId={id}
          onCancel={() => setReverting(false)}
          onReverted={(summary) => {
            setReverting(false)
            setNote(summary)
            load()
            onChanged()
          }}
        />
      )}
    </section>
  )
}
