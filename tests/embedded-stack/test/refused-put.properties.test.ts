import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AssetConfig, AssetError, type BaseAssetManager, createAssetManager, isValidKey, isVersion, type PutOptions } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The embedded packages are this test package's dependencies; import them from here.
const importer = (specifier: string) => import(specifier)

let home: string
let source: string
let manager: BaseAssetManager

beforeAll(async () => {
  home = await temporaryFolder('assets-refused')
  source = join(home, 'in.txt')
  await writeFile(source, 'the same bytes every time')
  manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: join(home, 'stack') }, cwd: home }), { importer })
})

afterAll(async () => {
  await manager?.close()
})

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name))
}

const hostile = fc
  .array(fc.oneof(fc.constantFrom('..', '/', '\\', '\u0000', '\n', ' ', 'é', '.', 'v', '1', '-', '+', 'latest', '__proto__'), fc.string({ maxLength: 3 })), { maxLength: 8 })
  .map((p) => p.join(''))
const cyclic = fc.constant(null).map(() => {
  const o: Record<string, unknown> = { a: 1 }
  o.self = o
  return o
})

/** One put argument gone wrong; everything else is sound. */
const refusedPut = fc.oneof(
  hostile.filter((k) => !isValidKey(k)).map((key) => ({ key })),
  fc.oneof(hostile, fc.bigInt({ min: 10n ** 17n, max: 10n ** 30n }).map((n) => `1.0.0-${n}`)).filter((v) => !isVersion(v)).map((version) => ({ options: { version } })),
  fc.oneof(fc.array(fc.anything()), fc.string(), fc.integer(), cyclic, fc.bigInt().map((b) => ({ n: b })), fc.constant({ externalReference: 'x' })).map((metadata) => ({ metadata })),
  fc.array(hostile.filter((t) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(t) || t === 'latest' || isVersion(t)), { minLength: 1, maxLength: 3 }).map((tags) => ({ options: { tags } })),
  hostile.filter((k) => !['dataset', 'model', 'config', 'output', 'other'].includes(k)).map((kind) => ({ options: { kind } })),
  fc.constantFrom('banana', 'not a date', '').map((expiresAt) => ({ options: { expiresAt } })),
  fc.constantFrom('a\nb', 'a/b', '..', '', 'x\u0000').map((fileName) => ({ options: { fileName } })),
  // Checked by the registry's record rules too: refused before the content is stored.
  fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer()), fc.constant(null)).map((provenance) => ({ options: { provenance } })),
  fc.integer({ min: 65, max: 1100 }).map((depth) => {
    let nested: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < depth; i++) nested = { n: nested }
    return { metadata: nested }
  }),
  fc.oneof(fc.integer(), fc.constant({ a: 1 }), fc.constant(['x'])).map((description) => ({ options: { description } })),
)

describe('a refused put writes nothing (properties, embedded stack)', () => {
  it('a put refused for its key, version, metadata, tags, kind, expiry, name, provenance or description leaves storage and registry empty', async () => {
    await fc.assert(
      fc.asyncProperty(refusedPut, async (bad) => {
        const args = { key: 'props/asset', metadata: {} as unknown, options: {} as Record<string, unknown>, ...bad }
        const error = await manager
          .put(args.key, source, args.metadata as Record<string, unknown>, args.options as PutOptions)
          .then(() => undefined, (e: unknown) => e)
        expect(AssetError.isInstance(error), String(error)).toBe(true)
        expect(['INVALID_KEY', 'INVALID_VERSION', 'INVALID_INPUT']).toContain((error as AssetError).code)
        expect(await filesUnder(join(home, 'stack', 'storage'))).toEqual([])
        expect((await manager.findAssets({ allVersions: true, includeDeleted: true })).items).toEqual([])
      }),
      { numRuns: 150 },
    )
  })
})
