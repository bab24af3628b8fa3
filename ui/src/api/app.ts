/** The engine itself: its version and where its data lives. */

export interface AppInfo {
  version: string
  data_dir: string
  schema_version: number
}

/** The `app.*` methods: what each takes and returns. */
export interface AppMethods {
  'app.info': { params: Record<string, never>; result: AppInfo }
}
