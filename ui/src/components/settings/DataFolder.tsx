/** Settings › Engine: where Reverie keeps its data, with a button that copies the path. */
import { useState } from 'react'

export function DataFolder({ path }: { path: string }) {
  const [copied, setCopied] = useState<{ ok: boolean; text: string }>()
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(path)
      setCopied({ ok: true, text: 'Path copied.' })
    } catch {
      setCopied({ ok: false, text: 'Copying is not allowed here; select the path and copy it by hand.' })
    }
  }
  return (
    <span className="path-row">
      <code data-testid="data-folder">{path}</code>
      <button type="button" className="button button-small" onClick={() => void copy()}>
        Copy path
      </button>
      {copied && (
        <span className={copied.ok ? 'field-hint' : 'field-hint field-hint-error'} role="status">
          {copied.text}
        </span>
      )}
    </span>
  )
}
