import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalStorage } from '@assets/storage-local'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { AssetError, BaseAssetManager, sha256 } from '@assets/core'
import { ReferencingLocalStorage } from './fixtures/referencing-storage.js'

let dir: string
let storage: ReferencingLocalStorage
let manager: BaseAssetManager

async function codeOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action()
  } catch (error) {
    return AssetError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)
  }
  return 'succeeded'
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'core-put-reference-'))
  storage = new ReferencingLocalStorage({ path: join(dir, 'store') })
  const registry = createSqliteRegistry({ path: join(dir, 'registry.db') })
  manager = new BaseAssetManager({ storage, registry, cache: null, scratchDir: join(dir, 'scratch') }, { user: 'alice', roles: ['admin'] })
})

afterEach(async () => {
  await manager.close()
  await rm(dir, { recursive: true, force: true })
})

describe('putReference: registering an object the store did not write', () => {
  it('registers a version pointing at the object, with its digest and ETag, without copying it', async () => {
    const bytes = randomBytes(50_000)
    const external = join(dir, 'datasets', 'x.h5ad')
    await mkdir(join(dir, 'datasets'))
    await writeFile(external, bytes)
    const uri = pathToFileURL(external).href
    const record = await manager.putReference('datasets/x', uri, { tissue: 'lung' }, { kind: 'dataset' })
    expect(record).toMatchObject({ key: 'datasets/x', version: '1.0.0', location: uri, digest: sha256(bytes), size: bytes.length, created: true })
    const reference = record.metadata.externalReference as { uri: string; etag: string }
    expect(reference.uri).toBe(uri)
    expect(reference.etag).toMatch(/^"50000-/)
    expect(record.metadata.tissue).toBe('lung')
    const blobs: string[] = []
    for await (const o of storage.list('blobs/')) blobs.push(o.location)
    expect(blobs).toEqual([])
    expect((await readFile(await manager.get('datasets/x'))).equals(bytes)).toBe(true)
    expect((await collect(await manager.stream('datasets/x'))).equals(bytes)).toBe(true)
    expect((await manager.verify('datasets/x')).problems).toEqual([])
    const again = await manager.putReference('datasets/x', uri, { tissue: 'lung' }, { kind: 'dataset' })
    expect(again).toMatchObject({ version: '1.0.0', created: false })
  })

  it('get, stream and verify notice that the object changed underneath since it was registered', async () => {
    const external = join(dir, 'x.csv')
    await writeFile(external, 'a,b\n1,2\n')
    const uri = pathToFileURL(external).href
    await manager.putReference('tables/x', uri)
    await new Promise((r) => setTimeout(r, 20))
    await writeFile(external, 'a,b\n1,3\n')
    expect(await codeOf(() => manager.get('tables/x'))).toMatch(/^INTEGRITY_ERROR: .*changed underneath since it was registered/)
    expect(await codeOf(() => manager.stream('tables/x'))).toMatch(/^INTEGRITY_ERROR: .*changed underneath/)
    const report = await manager.verify('tables/x', { deep: false })
    expect(report.ok).toBe(0)
    expect(report.problems[0]?.message).toMatch(/changed underneath since it was registered/)
    await rm(external)
    expect(await codeOf(() => manager.get('tables/x'))).toMatch(/^INTEGRITY_ERROR: .*is gone since it was registered/)
  })

  it('gc never deletes a referenced object, and asks the storage to abort stale uploads', async () => {
    const external = join(dir, 'model.bin')
    const bytes = randomBytes(1000)
    await writeFile(external, bytes)
    await manager.putReference('models/m', pathToFileURL(external).href)
    const now = new Date(Date.now() + 7200_000)
    const report = await manager.gc({ now, graceSeconds: 60 })
    expect(report.removedObjects).toEqual([])
    expect(report.abortedUploads).toEqual(['staging/abandoned-upload'])
    expect(storage.abortCalls.map((d) => d.getTime())).toEqual([now.getTime() - 60_000])
    expect((await readFile(external)).equals(bytes)).toBe(true)
    expect((await readFile(await manager.get('models/m'))).equals(bytes)).toBe(true)
    expect((await manager.gc({ now, graceSeconds: 60, dryRun: true })).abortedUploads).toBeUndefined()
  })

  it('refuses bad references, storages that cannot reference, and the reserved metadata field on a normal put', async () => {
    expect(await codeOf(() => manager.putReference('a/b', 'not a uri'))).toMatch(/^INVALID_INPUT/)
    expect(await codeOf(() => manager.putReference('a/b', pathToFileURL(join(dir, 'missing')).href))).toMatch(/^ASSET_NOT_FOUND/)
    const file = join(dir, 'f.txt')
    await writeFile(file, 'x')
    expect(await codeOf(() => manager.put('a/b', file, { externalReference: { uri: 's3://b/k' } }))).toMatch(/^INVALID_INPUT: .*reserved/)
    const plain = new BaseAssetManager(
      { storage: new LocalStorage({ path: join(dir, 'plain') }), registry: createSqliteRegistry({ path: join(dir, 'plain.db') }), cache: null },
      { user: 'bob' },
    )
    try {
      expect(await codeOf(() => plain.putReference('a/b', pathToFileURL(file).href))).toMatch(/^UNSUPPORTED_OPERATION: .*by reference/)
      expect(await plain.listVersions('a/b').catch((e: Error) => e.name)).toBe('NotFoundError')
    } finally {
      await plain.close()
    }
  })
})
