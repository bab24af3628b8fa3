// The morning after: scheduled dreams of the last night, one line each.
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import type { DreamListItem } from '../../api'
import { overnightItems } from '../../state/overnight'
import { OvernightCard } from './OvernightCard'

const item = (id: string, trigger: string, hoursAgo: number, agent: string, decisions: string[], status = 'completed') =>
  ({
    agent,
    dream: { id, trigger, status, review: 'staged', error: null, created_at: new Date(Date.now() - hoursAgo * 3600e3).toISOString() },
    edits: decisions.map((decision) => ({ decision })),
  }) as unknown as DreamListItem

describe('Overnight card', () => {
  test('lists only scheduled dreams of the last night, with a link to each review', async () => {
    const items = [
      item('D1', 'schedule', 5, 'Scout', ['pending', 'pending', 'accepted']),
      item('D2', 'ui', 4, 'Writer', ['pending']),
      item('D3', 'schedule', 40, 'Old', ['pending']),
      item('D4', 'schedule', 3, 'Coder', [], 'failed'),
    ]
    expect(overnightItems(items).map((i) => i.dream.id)).toEqual(['D1', 'D4'])
    const onOpen = vi.fn()
    render(<OvernightCard items={items} onOpen={onOpen} />)
    const card = screen.getByRole('region', { name: 'Overnight' })
    expect(card).toHaveTextContent('Scout has 2 changes to review')
    expect(card).toHaveTextContent("Coder's dream failed")
    expect(card).not.toHaveTextContent('Writer')
    await userEvent.click(screen.getAllByRole('button', { name: 'Review' })[0])
    expect(onOpen).toHaveBeenCalledWith('D1')
  })

  test('nothing overnight shows nothing', () => {
    const { container } = render(<OvernightCard items={[item('D2', 'tray', 1, 'Writer', [])]} onOpen={() => {}} />)
    expect(container).toBeEmptyDOMElement()
  })
})
