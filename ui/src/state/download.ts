import { isTauri } from '@tauri-apps/api/core'
import { call } from '../api'

/**
 * Saves text as a file. In a browser it is a normal download; the app's
 * webview cannot download, so there the engine writes it into the
 * Downloads folder. Resolves to a sentence saying where it went.
 */
export async function download(fileName: string, text: string): Promise<string> {
  if (isTauri()) {
    const { path } = await call('files.save_download', { file_name: fileName, text })
    return `Saved ${fileName} to ${path}.`
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }))
  const a = Object.assign(document.createElement('a'), { href: url, download: fileName })
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
  return `Downloaded ${fileName}.`
}
