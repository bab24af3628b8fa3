/**
 * The compile-time check that the UI's calls match the engine's.
 *
 * `EngineMethods` is generated from the engine's own API declarations
 * (`engine-methods.ts`); `ApiMethods` is written here by hand with the
 * result types. `npm run build` type-checks this file, so it fails, naming
 * the calls, when a call or a parameter has no twin on the other side, or
 * when the UI would send a parameter the engine cannot read.
 * The engine's test `tests/api_binding.rs` keeps `engine-methods.ts` current.
 */
import type { ApiMethods } from './index'
import type { EngineMethods } from './engine-methods'

/** A type's named fields (an index signature names none). */
type Named<T> = keyof T extends infer K ? (string extends K ? never : K) : never

type Shared = keyof EngineMethods & keyof ApiMethods
type UiParams<M extends Shared> = ApiMethods[M]['params']

/**
 * Calls whose parameters differ: a name on one side only, or a value the
 * engine cannot read (a wrong type, a missing required field, a word its
 * enum does not accept).
 */
export type MismatchedCalls = {
  [M in Shared]: [UiParams<M>] extends [EngineMethods[M]]
    ? [Exclude<Named<EngineMethods[M]>, Named<UiParams<M>>>] extends [never]
      ? [Exclude<Named<UiParams<M>>, Named<EngineMethods[M]>>] extends [never]
        ? never
        : M
      : M
    : M
}[Shared]

/** `true` when `T` is empty, else `T` itself (so the error names it). */
type None<T> = [T] extends [never] ? true : T

// Each line fails to compile, naming the calls, when the sides differ:
// calls the engine answers that the UI does not declare, calls the UI
// declares that the engine does not answer, and calls whose parameters differ.
export const everyEngineCallDeclared: None<Exclude<keyof EngineMethods, keyof ApiMethods>> = true
export const noCallTheEngineLacks: None<Exclude<keyof ApiMethods, keyof EngineMethods>> = true
export const everyCallsParamsMatch: None<MismatchedCalls & string> = true
