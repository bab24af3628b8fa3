/**
 * "Export as zip": the open store's documents and a manifest (path, sha256,
 * size, version) as one zip in the Downloads folder (`memory.export` with
 * `to_downloads`), never over an existing file.
 */
import { useState } from 'react'
import { ApiError, call } from '../../api'

export function ExportStore({ store }: { store: string }) {
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState<{ ok: boolean; text: string }>()

  const exportZip = async () => {
    setBusy(true)
    setNote(undefined)
    try {
      const report = await call('memory.export', { store, to_downloads: true })
      const docs = `${report.documents} ${report.documents === 1 ? 'document' : 'documents'}`
      setNote({ ok: true, text: `Saved ${store} (${docs}) to ${report.path}.` })
    } catch (e) {
      setNote({ ok: false, text: e instanceof ApiError ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="export-store">
      <button type="button" className="button button-small" onClick={() => void exportZip()} disabled={busy}>
        {busy ? 'Exporting…' : 'Export as zip'}
      </button>
      {note && (
        <p className={`notice ${note.ok ? 'notice-ok' : 'notice-error'} small`} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
      )}
    </div>
  )
}
