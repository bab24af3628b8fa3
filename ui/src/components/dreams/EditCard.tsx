/**
 * One proposed change: what it does to which document, why, the sessions
 * that justify it (links to their timelines), a side-by-side diff against
 * what the document held before, and Accept / Reject while it can be decided.
 */
import { useId } from 'react'
import type { DreamDetail, ProposalEdit } from '../../api'
import { OP_LABEL } from '../../state/dreamView'
import { DiffTable } from '../memory/DiffTable'
import type { Titles } from '../../state/sessionTitles'
import { SessionLink } from './SessionLinks'

interface EditCardProps {
  titles: Titles
  dreamId: string
  edit: ProposalEdit
  before: DreamDetail['before']
  staged: boolean
  busy: boolean
  onDecide: (decision: 'accepted' | 'rejected' | 'pending') => void
}

const DECISION_LABEL: Record<string, string> = {
  pending: 'Undecided',
  accepted: 'Accepted',
  rejected: 'Rejected',
  applied: 'Applied',
  reverted: 'Reverted',
}

export function EditCard({ titles, dreamId, edit, before, staged, busy, onDecide }: EditCardProps) {
  const ids = useId()
  const prior = before[edit.path]
  const oldText = prior?.content ?? ''
  const newText = edit.op === 'delete' ? '' : (edit.content ?? '')
  const changedSince = staged && (prior?.current_sha256 ?? null) !== (edit.base_sha256 ?? null)
  return (
    <article className={`edit-card edit-${edit.decision}`} aria-labelledby={`${ids}-title`}>
      <header className="edit-header">
        <span className="badge">{OP_LABEL[edit.op] ?? edit.op}</span>
        <h3 id={`${ids}-title`} className="edit-path">
          {edit.path}
        </h3>
        <span className={`badge ${edit.decision === 'accepted' || edit.decision === 'applied' ? 'badge-ok' : edit.decision === 'rejected' ? 'badge-danger' : ''}`}>
          {DECISION_LABEL[edit.decision] ?? edit.decision}
        </span>
      </header>
      <p className="edit-reason">
        <span className="visually-hidden">Why: </span>
        {edit.reason}
      </p>
      {edit.merged_paths.length > 0 && (
        <p className="small muted">Folds in and removes: {edit.merged_paths.join(', ')}</p>
      )}
      {edit.source_session_ids.length > 0 && (
        <p className="small edit-sources">
          From{' '}
          {edit.source_session_ids.map((id, i) => (
            <span key={id}>
              {i > 0 && ', '}
              <SessionLink id={id} titles={titles} dreamId={dreamId} />
            </span>
          ))}
        </p>
      )}
      {changedSince && (
        <p className="notice notice-error small" role="note">
          {edit.path} changed after the dream read it, so this change would overwrite newer text. Reject it, or dream again.
        </p>
      )}
      {prior?.content == null && edit.op !== 'delete' ? (
        // A new document has no "before": one column, the whole width.
        <div className="diff new-document" role="region" aria-label={`New document ${edit.path}`} tabIndex={0} data-testid="new-document">
          <pre className="new-document-text">{newText}</pre>
        </div>
      ) : (
        <DiffTable
          before={oldText}
          after={newText}
          beforeLabel="Before the dream"
          afterLabel={edit.op === 'delete' ? 'After (deleted)' : 'Proposed'}
          caption={`Change to ${edit.path}`}
        />
      )}
      {staged && (
        <div className="actions edit-actions" role="group" aria-label={`Decide on ${edit.path}`}>
          <button
            type="button"
            className="button button-small"
            aria-pressed={edit.decision === 'accepted'}
            disabled={busy}
            onClick={() => onDecide(edit.decision === 'accepted' ? 'pending' : 'accepted')}
          >
            Accept
          </button>
          <button
            type="button"
            className="button button-small"
            aria-pressed={edit.decision === 'rejected'}
            disabled={busy}
            onClick={() => onDecide(edit.decision === 'rejected' ? 'pending' : 'rejected')}
          >
            Reject
          </button>
        </div>
      )}
    </article>
  )
}
