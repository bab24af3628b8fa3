import { act, render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Link, Route, Router, Switch, useSearchParams } from 'wouter'
import { describe, expect, test } from 'vitest'
import { DraftEditor } from '../test/DraftEditor'
import { useHashLocation, useKeepInAddress, useLocationKey, useLocationState } from './router'

function Elsewhere() {
  const state = useLocationState() as { from?: string } | undefined
  return (
    <>
      <h1>Elsewhere{state?.from ? ` from ${state.from}` : ''}</h1>
      <Link to="/elsewhere">Here again</Link>
    </>
  )
}

function Query() {
  const [params, setParams] = useSearchParams()
  return (
    <>
      <h1>Store {params.get('store') ?? 'none'}</h1>
      <button type="button" onClick={() => setParams({ store: 'reader' })}>
        Reader
      </button>
    </>
  )
}

// A screen that keeps its own choice (an open document) in the address.
function Kept() {
  const [params] = useSearchParams()
  const keepInAddress = useKeepInAddress()
  const visit = useLocationKey()
  return (
    <>
      <h1>
        Doc {params.get('doc') ?? 'none'}, visit {visit}
      </h1>
      <button type="button" onClick={() => keepInAddress(new URLSearchParams({ doc: 'notes.md' }))}>
        Notes
      </button>
      <Link to="/elsewhere">Elsewhere</Link>
    </>
  )
}

function renderAt(url: string) {
  window.history.replaceState(null, '', url)
  render(
    <Router hook={useHashLocation}>
      <Switch>
        <Route path="/">
          <DraftEditor linkState={{ from: 'editor' }} />
        </Route>
        <Route path="/elsewhere">
          <Elsewhere />
        </Route>
        <Route path="/memory">
          <Query />
        </Route>
        <Route path="/kept">
          <Kept />
        </Route>
      </Switch>
    </Router>,
  )
}

/** Back or forward, as the browser does it: the move happens, then its events. */
async function traverse(delta: number) {
  await act(async () => {
    const moved = new Promise((resolve) => window.addEventListener('hashchange', resolve, { once: true }))
    window.history.go(delta)
    await moved
  })
}

const heading = (text: string) => waitFor(() => expect(screen.getByRole('heading')).toHaveTextContent(text))

describe('the hash location', () => {
  test('the query lives inside the hash; the page query stays', async () => {
    const user = userEvent.setup()
    renderAt('/?bridge=http%3A%2F%2F127.0.0.1%3A7420#/memory?store=writer')
    expect(screen.getByRole('heading')).toHaveTextContent('Store writer')
    await user.click(screen.getByRole('button', { name: 'Reader' }))
    expect(screen.getByRole('heading')).toHaveTextContent('Store reader')
    expect(window.location.search).toBe('?bridge=http%3A%2F%2F127.0.0.1%3A7420')
    expect(window.location.hash).toBe('#/memory?store=reader')
  })

  test('links are hash links that keep history and carry state', async () => {
    const user = userEvent.setup()
    renderAt('/#/')
    expect(screen.getByRole('link', { name: 'Elsewhere' })).toHaveAttribute('href', '#/elsewhere')
    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    expect(screen.getByRole('heading')).toHaveTextContent('Elsewhere from editor')
    expect(window.location.hash).toBe('#/elsewhere')
    await traverse(-1)
    await heading('Editor')
    await traverse(1)
    await heading('Elsewhere from editor')
  })

  test('back/forward away from unsaved changes asks; Stay undoes the move, Leave makes it', async () => {
    const user = userEvent.setup()
    renderAt('/#/')
    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    await traverse(-1)
    await heading('Editor')
    await user.type(screen.getByLabelText('Text'), 'half a thought')

    await traverse(1)
    await screen.findByRole('alertdialog', { name: 'Leave without saving?' })
    await waitFor(() => expect(window.location.hash).toBe('#/'))
    expect(screen.getByLabelText('Text')).toHaveValue('half a thought')
    await user.click(screen.getByRole('button', { name: 'Stay' }))
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument()
    expect(window.location.hash).toBe('#/')

    await traverse(1)
    await user.click(await screen.findByRole('button', { name: 'Leave without saving' }))
    await heading('Elsewhere from editor')
    expect(window.location.hash).toBe('#/elsewhere')
  })

  test('a choice kept in the address is the same visit and entry, and Back returns to it', async () => {
    const user = userEvent.setup()
    renderAt('/#/kept')
    const entries = window.history.length
    const visit = screen.getByRole('heading').textContent!.split('visit ')[1]
    await user.click(screen.getByRole('button', { name: 'Notes' }))
    expect(screen.getByRole('heading')).toHaveTextContent(`Doc notes.md, visit ${visit}`)
    expect(window.location.hash).toBe('#/kept?doc=notes.md')
    expect(window.history.length).toBe(entries)

    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    await heading('Elsewhere')
    await traverse(-1)
    await heading('Doc notes.md')
  })

  test('a link to the address already shown adds no history entry', async () => {
    const user = userEvent.setup()
    renderAt('/#/')
    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    await heading('Elsewhere')
    const entries = window.history.length
    await user.click(screen.getByRole('link', { name: 'Here again' }))
    expect(window.history.length).toBe(entries)
    await traverse(-1)
    await heading('Editor')
  })
})
