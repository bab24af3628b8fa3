/**
 * The one door from the UI to Reverie's engine.
 *
 * Inside the desktop app every call goes through the Tauri command
 * `api_call(method, params)`, and progress arrives as the Tauri event
 * `api-event`. In a plain browser (development, Playwright) the same calls go
 * to the engine's HTTP bridge on loopback:
 *
 * - `POST {base}/api/{method}` with the params as a JSON body; a 2xx answer's
 *   JSON body is the result; any other status carries
 *   `{"error": {"kind": "...", "message": "one sentence"}}`.
 * - `GET {base}/api/events`: server-sent events, each `data:` line one JSON
 *   {@link ApiEvent}.
 * - Both carry the bridge's sign-in cookie (`credentials: 'include'`): the
 *   bridge refuses anything without its per-start token, which the browser
 *   receives by opening the sign-in address `reverie serve` prints.
 *
 * The bridge base comes from the `?bridge=` query parameter, else
 * `VITE_BRIDGE_URL`, and must be a loopback address.
 *
 * This module owns the wire format and the choice of transport. It must never
 * hold screen state, and never invent an answer when the engine is absent:
 * calls then fail with an {@link ApiError} that says what to do.
 *
 * The engine's methods are typed one namespace per file (`agents.ts` holds
 * `agents.*`, with the types they take and return); {@link ApiMethods}
 * combines them, mirroring the engine's API modules (`src-tauri/engine/src/api/`).
 * Every engine call has an entry: `binding.ts` type-checks the map against
 * `engine-methods.ts`, which the engine generates from its own declarations,
 * so a call or parameter missing on either side fails `npm run build`.
 */
import { invoke, isTauri } from '@tauri-apps/api/core'
import { listen } from '@tauri-apps/api/event'
import type { AgentsMethods } from './agents'
import type { AppMethods } from './app'
import type { DemoMethods } from './demo'
import type { DreamsMethods } from './dreams'
import type { EvalsMethods } from './evals'
import type { FilesMethods } from './files'
import type { KeysMethods } from './keys'
import type { ManagedMethods } from './managed'
import type { MemoryMethods } from './memory'
import type { ModelsMethods } from './models'
import type { OutcomesMethods } from './outcomes'
import type { RubricsMethods } from './rubrics'
import type { RunMethods } from './run'
import type { ScheduleMethods } from './schedule'
import type { SessionsMethods } from './sessions'
import type { SettingsMethods } from './settings'

export type * from './agents'
export type * from './app'
export type * from './demo'
export type * from './dreams'
export type * from './evals'
export type * from './files'
export type * from './keys'
export type * from './managed'
export type * from './memory'
export type * from './models'
export type * from './outcomes'
export type * from './rubrics'
export type * from './run'
export type * from './schedule'
export type * from './sessions'
export type * from './settings'

/** The engine's methods, by name: what each takes and returns. */
export interface ApiMethods
  extends AgentsMethods,
    AppMethods,
    DemoMethods,
    DreamsMethods,
    EvalsMethods,
    FilesMethods,
    KeysMethods,
    ManagedMethods,
    MemoryMethods,
    ModelsMethods,
    OutcomesMethods,
    RubricsMethods,
    RunMethods,
    ScheduleMethods,
    SessionsMethods,
    SettingsMethods {}

export type ApiMethod = keyof ApiMethods
export type ParamsOf<M extends ApiMethod> = ApiMethods[M]['params']
export type ResultOf<M extends ApiMethod> = ApiMethods[M]['result']

/** A progress notice from the engine (a session event, a dream's status, ...). */
export interface ApiEvent {
  type: string
  [field: string]: unknown
}

/** Why a call failed, in one sentence a person can act on. */
export class ApiError extends Error {
  readonly kind: string
  readonly method: string

  constructor(kind: string, message: string, method: string) {
    super(message)
    this.name = 'ApiError'
    this.kind = kind
    this.method = method
  }
}

/** How calls reach the engine. */
export interface Transport {
  readonly kind: 'tauri' | 'bridge' | 'none'
  /** Where the engine is, for people: shown in Settings. */
  readonly description: string
  call(method: string, params: unknown): Promise<unknown>
  /** Delivers every engine event to `onEvent` until the returned function is called. */
  subscribe(onEvent: (event: ApiEvent) => void): () => void
}

/** The Tauri command and event names the app crate registers. */
export const TAURI_COMMAND = 'api_call'
export const TAURI_EVENT = 'api-event'

const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_.]*$/

function checkMethod(method: string): void {
  if (!METHOD_NAME.test(method)) {
    throw new ApiError(
      'invalid_method',
      `"${method}" is not a method name: use letters, digits, "_" and "." only.`,
      method,
    )
  }
}

/** Turns whatever the engine sent back as an error into an {@link ApiError}. */
function toApiError(method: string, body: unknown, fallback: string): ApiError {
  const error =
    body && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : body
  if (error && typeof error === 'object') {
    const { kind, message } = error as { kind?: unknown; message?: unknown }
    if (typeof message === 'string' && message) {
      return new ApiError(typeof kind === 'string' ? kind : 'engine', message, method)
    }
  }
  if (typeof error === 'string' && error) return new ApiError('engine', error, method)
  return new ApiError('engine', fallback, method)
}

/**
 * The native file chooser of the desktop app; `undefined` when the user
 * canceled, `null` when the UI does not run in the app (in a browser the
 * engine's files are named by path instead).
 */
export async function chooseFile(
  title: string,
  filters: { name: string; extensions: string[] }[],
): Promise<string | undefined | null> {
  if (!isTauri()) return null
  const chosen = await invoke<string | null>('choose_file', { title, filters })
  return chosen ?? undefined
}

/**
 * "Start Reverie at login": reads the system's autostart entry, or sets it
 * when `enabled` is given. `null` when the UI does not run in the app.
 */
export async function startAtLogin(enabled?: boolean): Promise<boolean | null> {
  if (!isTauri()) return null
  return invoke<boolean>('start_at_login', { enabled: enabled ?? null })
}

/** Calls through Tauri's IPC; only works inside the desktop app. */
export function tauriTransport(): Transport {
  return {
    kind: 'tauri',
    description: 'The Reverie desktop app',
    async call(method, params) {
      checkMethod(method)
      try {
        return await invoke(TAURI_COMMAND, { method, params: params ?? {} })
      } catch (error) {
        throw toApiError(method, error, `The engine could not run "${method}".`)
      }
    },
    subscribe(onEvent) {
      let stopped = false
      let unlisten: (() => void) | undefined
      void listen<ApiEvent>(TAURI_EVENT, (event) => onEvent(event.payload)).then((stop) => {
        if (stopped) stop()
        else unlisten = stop
      })
      return () => {
        stopped = true
        unlisten?.()
      }
    },
  }
}

/** What the bridge transport needs from its host; tests pass Node's. */
export interface BridgeOptions {
  fetch?: typeof fetch
  EventSource?: typeof EventSource
}

/** Calls the engine's HTTP bridge at `base` (a loopback origin). */
export function bridgeTransport(base: string, options: BridgeOptions = {}): Transport {
  const root = base.replace(/\/+$/, '')
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const Source = options.EventSource ?? globalThis.EventSource
  const unreachable = (method: string) =>
    new ApiError(
      'unreachable',
      `Reverie's engine is not answering at ${root}: start it with \`reverie serve\` and reload this page.`,
      method,
    )

  return {
    kind: 'bridge',
    description: `The engine bridge at ${root}`,
    async call(method, params) {
      checkMethod(method)
      let response: Response
      try {
        response = await doFetch(`${root}/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(params ?? {}),
          credentials: 'include',
        })
      } catch {
        throw unreachable(method)
      }
      const text = await response.text()
      let body: unknown = undefined
      if (text) {
        try {
          body = JSON.parse(text)
        } catch {
          throw new ApiError(
            'bad_response',
            `The engine answered "${method}" with something that is not JSON (HTTP ${response.status}).`,
            method,
          )
        }
      }
      if (!response.ok) {
        throw toApiError(method, body, `The engine refused "${method}" (HTTP ${response.status}).`)
      }
      return body ?? null
    },
    subscribe(onEvent) {
      if (!Source) return () => {}
      const source = new Source(`${root}/api/events`, { withCredentials: true })
      source.onmessage = (message: MessageEvent) => {
        try {
          const event = JSON.parse(String(message.data)) as ApiEvent
          if (event && typeof event.type === 'string') onEvent(event)
        } catch {
          // A line that is not an event is ignored; the stream goes on.
        }
      }
      return () => source.close()
    },
  }
}

/** Used when no engine is reachable: every call says how to connect one. */
export function disconnectedTransport(reason: string): Transport {
  return {
    kind: 'none',
    description: reason,
    async call(method) {
      throw new ApiError('not_connected', reason, method)
    },
    subscribe() {
      return () => {}
    },
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * The bridge base from `?bridge=` (first) or `VITE_BRIDGE_URL`. Returns an
 * error sentence instead when the address is not an http(s) loopback URL, so
 * a crafted link cannot point the UI at another machine.
 */
export function bridgeBase(
  search: string,
  envUrl: string | undefined,
): { base: string } | { error: string } | null {
  const raw = new URLSearchParams(search).get('bridge') ?? envUrl
  if (!raw) return null
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { error: `The bridge address "${raw}" is not a URL: use one like http://127.0.0.1:7420.` }
  }
  if (!['http:', 'https:'].includes(url.protocol) || !LOOPBACK_HOSTS.has(url.hostname)) {
    return {
      error: `The bridge address "${raw}" is not on this computer: use http://127.0.0.1:PORT.`,
    }
  }
  return { base: url.origin + url.pathname.replace(/\/+$/, '') }
}

/** Picks the transport for where the UI runs: Tauri, a bridge, or none. */
export function detectTransport(): Transport {
  if (isTauri()) return tauriTransport()
  const found = bridgeBase(window.location.search, import.meta.env.VITE_BRIDGE_URL)
  if (found && 'base' in found) return bridgeTransport(found.base)
  if (found && 'error' in found) return disconnectedTransport(found.error)
  return disconnectedTransport(
    'Not connected to an engine: open the Reverie app, or run `reverie serve` and add ?bridge=http://127.0.0.1:PORT to this address.',
  )
}

let current: Transport | undefined

/** The transport in use, chosen on first use. */
export function transport(): Transport {
  current ??= detectTransport()
  return current
}

/** Replaces the transport (tests pointing the UI at their own server). */
export function setTransport(next: Transport | undefined): void {
  current = next
}

/** Calls an engine method with typed params and result. */
export function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  return transport().call(method, params) as Promise<ResultOf<M>>
}

/** Subscribes to the engine's progress events. */
export function subscribe(onEvent: (event: ApiEvent) => void): () => void {
  return transport().subscribe(onEvent)
}
