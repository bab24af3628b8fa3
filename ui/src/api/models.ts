/** Models: what a provider offers, what a local model can do, and prices. */

import type { ProviderKind } from './agents'

/** A model a picker offers, with its price when Reverie knows it (USD per million tokens). */
export interface ModelChoice {
  id: string
  input_usd_per_mtok: number | null
  output_usd_per_mtok: number | null
}

/**
 * The models a picker offers. `live`: the server answered `GET /v1/models`
 * (its models are in the list); otherwise `live_error` says why not.
 */
export interface ModelList {
  provider: ProviderKind
  models: ModelChoice[]
  live: boolean
  live_error: string | null
}

/** The `models.*` methods: what each takes and returns. */
export interface ModelsMethods {
  'models.list': { params: { provider: ProviderKind }; result: ModelList }
  /** A local server's context window and whether its chat template can call tools (null: it cannot tell). */
  'models.capabilities': {
    params: { provider: ProviderKind; model: string }
    result: { context_tokens: number | null; supports_tools: boolean | null }
  }
  /** A model's price from Reverie's price table (no server is asked); null when unknown. */
  'models.price': {
    params: { model: string }
    result: { model: string; input_usd_per_mtok: number; output_usd_per_mtok: number } | null
  }
}
