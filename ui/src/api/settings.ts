/** Settings: the engine's key-value settings. */

/** The `settings.*` methods: what each takes and returns. */
export interface SettingsMethods {
  'settings.get': { params: { key: string }; result: string | null }
  'settings.set': {
    /** `confirm_key_host`: the person agreed that the saved API key may go to a new provider address. */
    params: { key: string; value: string; confirm_key_host?: boolean }
    result: { saved: boolean }
  }
}
