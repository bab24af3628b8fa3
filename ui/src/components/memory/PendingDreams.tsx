/**
 * A line above the editor when dreams propose changes to this store that
 * wait for review, with a link to review them on the Dreams screen.
 */
import { useEffect, useState } from 'react'
import { Link } from 'wouter'
import { call, type DreamListItem } from '../../api'
import { plural } from '../../state/dreamView'

export function PendingDreams({ storeId, refresh }: { storeId: string; refresh: number }) {
  const [staged, setStaged] = useState<DreamListItem[]>([])

  useEffect(() => {
    let live = true
    call('dreams.list', { limit: 20 }).then(
      (items) =>
        live &&
        setStaged(items.filter(({ dream }) => dream.input_store_id === storeId && dream.status === 'completed' && dream.review === 'staged')),
      // The banner is a convenience; the Dreams screen shows any error.
      () => live && setStaged([]),
    )
    return () => {
      live = false
    }
  }, [storeId, refresh])

  if (staged.length === 0) return null
  const newest = staged[0]
  return (
    <p className="notice pending-dreams">
      {staged.length === 1
        ? `A dream proposes ${plural(newest.edits.length, 'change')} to this memory.`
        : `${staged.length} dreams propose changes to this memory.`}{' '}
      <Link to={`/dreams?dream=${encodeURIComponent(newest.dream.id)}`}>Review {staged.length === 1 ? 'it' : 'the newest'}</Link>
    </p>
  )
}
