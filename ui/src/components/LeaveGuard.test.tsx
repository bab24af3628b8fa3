import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route, Router, Switch } from 'wouter'
import { describe, expect, test } from 'vitest'
import { DraftEditor } from '../test/DraftEditor'
import { testLocation } from '../test/renderRouted'

function renderEditor() {
  const location = testLocation('/')
  render(
    <Router hook={location.hook}>
      <Switch>
        <Route path="/">
          <DraftEditor />
        </Route>
        <Route path="/elsewhere">
          <h1>Elsewhere</h1>
        </Route>
      </Switch>
    </Router>,
  )
  return location
}

describe('leaving unsaved changes', () => {
  test('nothing typed: a link just goes', async () => {
    const user = userEvent.setup()
    const location = renderEditor()
    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    expect(location.path()).toBe('/elsewhere')
  })

  test('with changes the move waits for an answer: Stay keeps them, Leave goes', async () => {
    const user = userEvent.setup()
    const location = renderEditor()
    await user.type(screen.getByLabelText('Text'), 'half a thought')
    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    const dialog = await screen.findByRole('alertdialog', { name: 'Leave without saving?' })
    expect(dialog).toHaveTextContent('Your changes to the draft are not saved yet.')
    expect(screen.getByRole('button', { name: 'Stay' })).toHaveFocus()
    await user.keyboard('{Tab}')
    expect(screen.getByRole('button', { name: 'Leave without saving' })).toHaveFocus()
    await user.keyboard('{Tab}')
    expect(screen.getByRole('button', { name: 'Stay' })).toHaveFocus()

    await user.click(screen.getByRole('button', { name: 'Stay' }))
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument()
    expect(location.path()).toBe('/')
    expect(screen.getByLabelText('Text')).toHaveValue('half a thought')

    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    await user.keyboard('{Escape}')
    expect(location.path()).toBe('/')

    await user.click(screen.getByRole('link', { name: 'Elsewhere' }))
    await user.click(await screen.findByRole('button', { name: 'Leave without saving' }))
    expect(await screen.findByRole('heading', { name: 'Elsewhere' })).toBeInTheDocument()
    expect(location.path()).toBe('/elsewhere')
  })
})
