// The pass-rate chart draws a point per day and a marker per dream applied
// or reverted; a point lists its sessions; the table holds the same figures.
import { fireEvent, render, screen, within } from '@testing-library/react'
import { MemoryRouter } from '../../test/MemoryRouter'
import { describe, expect, test } from 'vitest'
import type { Series, SeriesMarker } from '../../api'
import { PassRateChart } from './PassRateChart'

const series: Series = {
  agent: 'helper',
  rubric: 'support-reply',
  points: [
    { day: '2026-01-01', runs: 4, pass_rate: 0.5, mean_score: 0.61, mean_attempts: 1.5, session_ids: ['S1', 'S2', 'S3', 'S4'] },
    { day: '2026-01-02', runs: 2, pass_rate: 0.5, mean_score: 0.7, mean_attempts: 1.5, session_ids: ['S5', 'S6'] },
    { day: '2026-01-03', runs: 3, pass_rate: 1, mean_score: 0.9, mean_attempts: 1, session_ids: ['S7', 'S8', 'S9'] },
  ],
}
const markers: SeriesMarker[] = [
  { at: '2026-01-02T03:00:00Z', agent: 'helper', dream_id: 'D1', kind: 'applied' },
  { at: '2026-01-03T09:00:00Z', agent: 'helper', dream_id: 'D2', kind: 'reverted' },
  { at: '2026-01-02T03:00:00Z', agent: 'someone-else', dream_id: 'D3', kind: 'applied' },
]
const titles = new Map([
  ['S7', 'Refund a late order'],
  ['S8', 'Rebook a flight'],
])

describe('PassRateChart', () => {
  test('points and dream markers from a series; a point lists its sessions', () => {
    const { container } = render(
      <MemoryRouter>
        <PassRateChart series={series} markers={markers} metric="pass_rate" titles={titles} width={600} height={220} />
      </MemoryRouter>,
    )
    const chart = screen.getByTestId('pass-chart')
    expect(chart).toHaveTextContent('helper · graded with support-reply · pass rate')
    const points = container.querySelectorAll('.chart-point')
    expect([...points].map((p) => p.getAttribute('data-day'))).toEqual(['2026-01-01', '2026-01-02', '2026-01-03'])
    // One marker line per dream of this agent, labelled.
    expect(container.querySelectorAll('.recharts-reference-line')).toHaveLength(2)
    expect(chart).toHaveTextContent('Dream applied')
    const dreams = screen.getByRole('list', { name: 'Dreams' })
    expect(within(dreams).getAllByRole('link').map((a) => a.getAttribute('href'))).toEqual(['/dreams?dream=D1', '/dreams?dream=D2'])

    // The same figures as a table.
    const rows = screen.getAllByTestId('chart-row')
    expect(rows.map((r) => within(r).getAllByRole('cell')[0].textContent)).toEqual(['50%', '50%', '100%'])

    // A point opens its sessions as links, by their task.
    fireEvent.click(points[2])
    const picked = screen.getByRole('region', { name: /^Sessions on/ })
    expect(picked).toHaveTextContent('100% over 3 runs')
    expect(within(picked).getByRole('link', { name: 'Refund a late order' })).toHaveAttribute('href', '/sessions/S7')
    expect(within(picked).getAllByRole('link')).toHaveLength(3)
  })

  test('attempts are shown as they are, not as a percentage', () => {
    render(
      <MemoryRouter>
        <PassRateChart series={series} markers={[]} metric="mean_attempts" titles={new Map()} width={600} />
      </MemoryRouter>,
    )
    expect(screen.getAllByTestId('chart-row').map((r) => within(r).getAllByRole('cell')[0].textContent)).toEqual(['1.5', '1.5', '1'])
    expect(screen.queryByRole('list', { name: 'Dreams' })).not.toBeInTheDocument()
  })
})
