/** Model provider keys in the system keychain (the UI never sees a key). */

import type { ProviderKind } from './agents'

/** Where a model key was found, as `keys.status` reports it (never the key). */
export interface KeyStatus {
  provider: ProviderKind
  available: boolean
  source: 'keychain' | 'environment' | string | null
  hint?: string
  error?: string
}

/** The `keys.*` methods: what each takes and returns. */
export interface KeysMethods {
  'keys.status': { params: { provider: ProviderKind }; result: KeyStatus }
  'keys.set': { params: { provider: ProviderKind; key: string }; result: { stored: boolean } }
  'keys.delete': { params: { provider: ProviderKind }; result: { removed: boolean } }
  'keys.test': { params: { provider: ProviderKind }; result: { ok: boolean; message: string } }
}
