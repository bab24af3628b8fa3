/** Shown for an address no screen owns, with the way back. */
import { Link } from 'wouter'
import { EmptyState } from '../components/EmptyState'
import { Page } from '../components/Page'
import { CompassIcon } from '../components/icons'

export function NotFoundPage() {
  return (
    <Page title="Not found" description="There is no screen at this address.">
      <EmptyState icon={<CompassIcon />} title="Nothing here">
        <p>
          Pick a screen in the sidebar, or go to <Link to="/agents">Agents</Link>.
        </p>
      </EmptyState>
    </Page>
  )
}
