// @vitest-environment node
/**
 * A test of the binding check itself: `binding.ts`, type-checked by the
 * real TypeScript compiler against stand-in UI declarations, passes when
 * they match the engine's generated `EngineMethods` and fails, naming the
 * call, when one is renamed, loses a parameter or sends the wrong type.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const here = resolve(__dirname)
const tsc = resolve(here, '../../node_modules/typescript/bin/tsc')
const work = mkdtempSync(join(tmpdir(), 'reverie-binding-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Type-checks `binding.ts` against `ui` as the UI's API module; the errors, or ''. */
function check(name: string, ui: string): string {
  const dir = join(work, name)
  mkdirSync(join(dir, 'api'), { recursive: true })
  copyFileSync(join(here, 'binding.ts'), join(dir, 'api/binding.ts'))
  copyFileSync(join(here, 'engine-methods.ts'), join(dir, 'api/engine-methods.ts'))
  writeFileSync(join(dir, 'api/index.ts'), `import type { EngineMethods } from './engine-methods'\n${ui}\n`)
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2023' },
      files: ['api/binding.ts'],
    }),
  )
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' })
    return ''
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e)
  }
}

/** UI declarations built from the engine's, with `edit` applied on top. */
const declarations = (edit: string) => `
type Exact = { [M in keyof EngineMethods]: { params: EngineMethods[M]; result: unknown } }
${edit}
`

describe('the binding check', () => {
  it('passes when every call and parameter has its twin', () => {
    expect(check('same', declarations('export type ApiMethods = Exact'))).toBe('')
  })

  it('fails on a renamed call, naming both names', () => {
    const out = check(
      'renamed',
      declarations(`export type ApiMethods = Omit<Exact, 'agents.create'> & {
        'agents.creat': Exact['agents.create']
      }`),
    )
    expect(out).toContain('"agents.create"')
    expect(out).toContain('"agents.creat"')
  })

  it('fails on a missing parameter and on a parameter the engine lacks', () => {
    const missing = check(
      'missing',
      declarations(`export type ApiMethods = Omit<Exact, 'memory.write'> & {
        'memory.write': { params: Omit<EngineMethods['memory.write'], 'allow_secret'>; result: unknown }
      }`),
    )
    expect(missing).toContain('"memory.write"')
    const extra = check(
      'extra',
      declarations(`export type ApiMethods = Omit<Exact, 'memory.read'> & {
        'memory.read': { params: EngineMethods['memory.read'] & { version?: number }; result: unknown }
      }`),
    )
    expect(extra).toContain('"memory.read"')
  })

  it('fails on a wrong type or an enum word the engine does not accept', () => {
    const wrong = check(
      'wrong',
      declarations(`export type ApiMethods = Omit<Exact, 'memory.restore' | 'dreams.decide'> & {
        'memory.restore': { params: { store: string; path: string; version: string }; result: unknown }
        'dreams.decide': { params: { edit_id: string; decision: 'accepted' | 'maybe' }; result: unknown }
      }`),
    )
    expect(wrong).toContain('"memory.restore"')
    expect(wrong).toContain('"dreams.decide"')
  })
})
