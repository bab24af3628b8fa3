/**
 * First-run onboarding: whether to offer it, where to resume it, and its
 * progress kept in this browser's storage (never a key: keys go straight to
 * the engine and the keychain). Data and decisions only.
 */
import type { KeyStatus, ProviderKind } from '../api'

export type Step = 1 | 2 | 3

export interface Progress {
  /** The step a person last reached. */
  step: Step
  provider?: ProviderKind
  /** The model for a local server (Anthropic agents use the default). */
  model?: string
  /** The agent created in step 2. */
  agent?: string
  /** Skipped or finished: never offered again on its own. */
  closed?: boolean
}

const STORAGE = 'reverie.onboarding'

export function loadProgress(): Progress {
  try {
    const raw = window.localStorage.getItem(STORAGE)
    const parsed = raw ? (JSON.parse(raw) as Progress) : undefined
    if (parsed && [1, 2, 3].includes(parsed.step)) return parsed
  } catch {
    // Unreadable progress starts over.
  }
  return { step: 1 }
}

export function saveProgress(progress: Progress): void {
  try {
    window.localStorage.setItem(STORAGE, JSON.stringify(progress))
  } catch {
    // Storage full or off: the steps still work, only resuming does not.
  }
}

export interface Setup {
  agents: number
  anthropic: KeyStatus | undefined
  openaiBaseUrl: string | null | undefined
}

/** A model is reachable: an Anthropic key, or a local server's address. */
export function hasModel(setup: Setup): boolean {
  return Boolean(setup.anthropic?.available) || Boolean(setup.openaiBaseUrl?.trim())
}

/** Offer onboarding on its own only to a fresh install nobody has set up or skipped. */
export function shouldOffer(setup: Setup, progress: Progress): boolean {
  return !progress.closed && setup.agents === 0 && !hasModel(setup)
}

/** Where to pick up: never before what is already done, never past what is not. */
export function resumeAt(setup: Setup, progress: Progress): Step {
  if (!hasModel(setup)) return 1
  if (progress.agent && setup.agents > 0) return progress.step === 1 ? 2 : progress.step
  return progress.step === 3 ? 2 : progress.step
}
