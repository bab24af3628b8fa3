/**
 * A side-by-side diff of two texts as a table: the left column is `before`,
 * the right `after`, removed lines marked on the left and added ones on the
 * right (with a +/− sign as well as colour, for people who do not see it).
 */
import { useMemo } from 'react'
import { diffRows, diffStats, type DiffCell } from '../../state/diffRows'

interface DiffTableProps {
  before: string
  after: string
  beforeLabel: string
  afterLabel: string
  caption: string
}

function Cell({ cell }: { cell?: DiffCell }) {
  if (!cell) return <><td className="diff-num" /><td className="diff-text diff-empty" /></>
  const sign = cell.kind === 'removed' ? '−' : cell.kind === 'added' ? '+' : ' '
  return (
    <>
      <td className="diff-num">{cell.line}</td>
      <td className={`diff-text diff-${cell.kind}`}>
        <span className="diff-sign" aria-hidden={cell.kind === 'same'}>
          {sign}
        </span>
        {cell.text || '\u00a0'}
      </td>
    </>
  )
}

export function DiffTable({ before, after, beforeLabel, afterLabel, caption }: DiffTableProps) {
  const rows = useMemo(() => diffRows(before, after), [before, after])
  const stats = diffStats(rows)
  return (
    <div className="diff" role="region" aria-label={caption} tabIndex={0}>
      <table className="diff-table">
        <caption className="visually-hidden">
          {caption}: {stats.added} lines added, {stats.removed} removed
        </caption>
        <colgroup>
          <col className="diff-num-col" />
          <col />
          <col className="diff-num-col" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" colSpan={2}>
              {beforeLabel}
            </th>
            <th scope="col" colSpan={2}>
              {afterLabel}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={4} className="muted diff-none">
                Both are empty.
              </td>
            </tr>
          )}
          {rows.map((row, i) => (
            <tr key={i}>
              <Cell cell={row.left} />
              <Cell cell={row.right} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
