/** Files the engine writes for the UI (the app's webview cannot download). */

/** The `files.*` methods: what each takes and returns. */
export interface FilesMethods {
  /** Writes a file into the user's Downloads folder (the app's webview cannot download). */
  'files.save_download': { params: { file_name: string; text: string }; result: { path: string } }
}
