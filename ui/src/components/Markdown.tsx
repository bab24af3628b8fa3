/**
 * Model text rendered as Markdown (`state/markdown` parses it with `marked`
 * and sanitises it with DOMPurify). Links keep their address as a tooltip
 * but never navigate the app window away. It owns that rendering only.
 *
 * The renderer (~60 kB of script) loads with the first answer shown, not
 * with the app: every page parsed at start costs the idle window memory
 * (`tests/app/perf.sh`). Until it has arrived, a moment, the text shows as
 * it is, escaped like any text.
 */
import { useEffect, useMemo, useState, type MouseEvent } from 'react'

type Render = (text: string) => string

let renderer: Render | undefined
let loading: Promise<Render> | undefined

function loadRenderer(): Promise<Render> {
  loading ??= import('../state/markdown').then((module) => (renderer = module.renderMarkdown))
  return loading
}

/** Fetch the renderer ahead of the first answer, so it never shows as plain text first. */
export function preloadMarkdown() {
  void loadRenderer()
}

// A link in an answer must not replace the app with a web page.
function keepWindow(event: MouseEvent) {
  if ((event.target as HTMLElement).closest('a')) event.preventDefault()
}

export function Markdown({ text, className = '' }: { text: string; className?: string }) {
  const [render, setRender] = useState<Render | undefined>(() => renderer)
  useEffect(() => {
    if (render) return
    let shown = true
    void loadRenderer().then((loaded) => shown && setRender(() => loaded))
    return () => {
      shown = false
    }
  }, [render])
  const html = useMemo(() => render?.(text), [render, text])
  const classes = `markdown ${className}`.trim()
  if (html === undefined) return <div className={`${classes} markdown-plain`}>{text}</div>
  return <div className={classes} onClick={keepWindow} dangerouslySetInnerHTML={{ __html: html }} />
}
