import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BaseAssetManager, blobLocation, type ContentDigest, type StoredContentClaim, sha256 } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { type Rejection, rejection } from '@assets/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// The core of what an asset server does for its client: blobs arrive first (here written
// straight to the storage, as the server does after hashing them), then putStored registers them.
let dir: string
let alice: BaseAssetManager

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'put-stored-'))
  const storage = createLocalStorage({ path: join(dir, 'store') })
  const registry = createSqliteRegistry({ path: join(dir, 'registry.db') })
  alice = new BaseAssetManager({ storage, registry, cache: null, scratchDir: join(dir, 'scratch') }, { user: 'alice' })
})

afterEach(async () => {
  await alice.close()
  await rm(dir, { recursive: true, force: true })
})

/** Stores `bytes` at `location` (by default its own blob location), as a verified upload would. */
async function storeBlob(bytes: string | Uint8Array, location?: string): Promise<StoredContentClaim> {
  const digest = sha256(bytes)
  async function* body() {
    yield Buffer.from(bytes)
  }
  await alice.storage.upload(location ?? blobLocation(digest), body())
  return { type: 'file', digest, size: Buffer.byteLength(bytes), fileCount: 1, location: blobLocation(digest) }
}

/** A folder's manifest, stored, and its claim; `files` are stored unless listed in `skip`. */
async function storeFolder(files: Record<string, string>, skip: string[] = []): Promise<StoredContentClaim> {
  const entries = Object.entries(files).map(([path, text]) => ({ path, size: Buffer.byteLength(text), digest: sha256(text) }))
  for (const [path, text] of Object.entries(files)) if (!skip.includes(path)) await storeBlob(text)
  const manifest = await storeBlob(JSON.stringify({ manifestVersion: 1, files: entries }))
  return { ...manifest, type: 'folder', size: entries.reduce((n, e) => n + e.size, 0), fileCount: entries.length }
}

/** The error `action` fails with, asserting its stable code. */
async function expectFailure(action: () => Promise<unknown>, code: string): Promise<Rejection> {
  const error = await rejection(action())
  expect(`${error.code}: ${error.message}`).toMatch(new RegExp(`^${code}: `))
  return error
}

async function nothingRegistered(key: string): Promise<void> {
  expect(await alice.registry.listVersions(key, { includeDeleted: true })).toEqual([])
}

describe('putStored: registering content already in the storage', () => {
  it('registers a stored file, runs no validator, and get returns its bytes under the given name', async () => {
    alice.registerValidator(() => {
      throw new Error('validators read local content; stored content has none')
    })
    const claim = await storeBlob('weights')
    const seen: unknown[] = []
    const put = await alice.putStored('models/w', claim, { epoch: 3 }, { fileName: 'w.bin', digest: claim.digest, beforeRegister: async (c) => void seen.push(c) })
    expect(put).toMatchObject({ version: '1.0.0', type: 'file', digest: claim.digest, size: 7, fileCount: 1, location: claim.location, fileName: 'w.bin', created: true })
    expect(seen).toEqual([{ digest: claim.digest, size: 7, fileCount: 1 }])
    const path = await alice.get('models/w')
    expect(path.endsWith('w.bin')).toBe(true)
    expect(await readFile(path, 'utf8')).toBe('weights')
    // The same claim again, no version asked: nothing changes.
    expect(await alice.putStored('models/w', claim, { epoch: 3 }, { fileName: 'w.bin' })).toMatchObject({ version: '1.0.0', created: false })
  })

  it('registers a stored folder whose files get returns', async () => {
    const claim = await storeFolder({ 'a.txt': 'alpha', 'sub/b.txt': 'beta', 'sub/c.txt': 'alpha' })
    const put = await alice.putStored('datasets/f', claim)
    expect(put).toMatchObject({ type: 'folder', digest: claim.digest, size: 14, fileCount: 3, created: true })
    expect(put.fileName).toBeUndefined()
    const path = await alice.get('datasets/f')
    expect(await readFile(join(path, 'sub', 'b.txt'), 'utf8')).toBe('beta')
    expect(await readFile(join(path, 'sub', 'c.txt'), 'utf8')).toBe('alpha')
    expect((await alice.putStored('datasets/f', claim)).created).toBe(false)
  })

  it('refuses a missing blob, a wrong size or location, a malformed claim, and registers nothing', async () => {
    const claim = await storeBlob('present')
    const absent: StoredContentClaim = { ...claim, digest: sha256('absent'), location: blobLocation(sha256('absent')) }
    const error = await expectFailure(() => alice.putStored('k/missing', absent), 'INTEGRITY_ERROR')
    expect(String(error)).toMatch(/not stored.*upload it first/)
    await expectFailure(() => alice.putStored('k/size', { ...claim, size: claim.size + 1 }), 'INTEGRITY_ERROR')
    await expectFailure(() => alice.putStored('k/where', { ...claim, location: `staging/${claim.digest.slice(7)}` }), 'INVALID_INPUT')
    await expectFailure(() => alice.putStored('k/digest', { ...claim, digest: 'sha256:abc' as ContentDigest }), 'INVALID_INPUT')
    await expectFailure(() => alice.putStored('k/count', { ...claim, fileCount: 2 }), 'INVALID_INPUT')
    await expectFailure(() => alice.putStored('k/neg', { ...claim, size: -1 }), 'INVALID_INPUT')
    await expectFailure(() => alice.putStored('k/ref', claim, { externalReference: {} }), 'INVALID_INPUT')
    await expectFailure(() => alice.putStored('k/expected', claim, {}, { digest: sha256('other') }), 'INTEGRITY_ERROR')
    for (const key of ['k/missing', 'k/size', 'k/where', 'k/digest', 'k/count', 'k/neg', 'k/ref', 'k/expected']) await nothingRegistered(key)
  })

  it('refuses a folder with a missing file blob, wrong totals, or a manifest not matching its digest', async () => {
    const gap = await storeFolder({ 'a.txt': 'here', 'b.txt': 'never uploaded' }, ['b.txt'])
    const error = await expectFailure(() => alice.putStored('f/gap', gap), 'INTEGRITY_ERROR')
    expect(String(error)).toContain(`file ${sha256('never uploaded')} of folder ${gap.digest} is not stored`)
    const whole = await storeFolder({ 'a.txt': 'here' })
    await expectFailure(() => alice.putStored('f/count', { ...whole, fileCount: 2 }), 'INTEGRITY_ERROR')
    await expectFailure(() => alice.putStored('f/size', { ...whole, size: 99 }), 'INTEGRITY_ERROR')
    // Bytes at a blob location that are not that digest's: the manifest's own check catches them.
    const forged = sha256('the real manifest')
    await storeBlob(JSON.stringify({ manifestVersion: 1, files: [] }), blobLocation(forged))
    const bad = await expectFailure(() => alice.putStored('f/forged', { type: 'folder', digest: forged, size: 0, fileCount: 0, location: blobLocation(forged) }), 'INTEGRITY_ERROR')
    expect(String(bad)).toContain(`folder manifest: expected ${forged}`)
    for (const key of ['f/gap', 'f/count', 'f/size', 'f/forged']) await nothingRegistered(key)
  })

  it('applies put permissions: a non-writer of the key is refused', async () => {
    const claim = await storeBlob('v1')
    await alice.putStored('shared/x', claim)
    const bob = alice.as({ user: 'bob' })
    const next = await storeBlob('v2')
    await expectFailure(() => bob.putStored('shared/x', next), 'ACCESS_DENIED')
    expect((await alice.listVersions('shared/x')).map((r) => r.version)).toEqual(['1.0.0'])
  })

  it('bumps versions and checks a folder written by an ordinary put', async () => {
    const folder = join(dir, 'src')
    await mkdir(join(folder, 'd'), { recursive: true })
    await writeFile(join(folder, 'd', 'x.csv'), 'a,b\n1,2\n')
    const original = await alice.put('runs/original', folder)
    const claim: StoredContentClaim = { type: 'folder', digest: original.digest as ContentDigest, size: original.size, fileCount: original.fileCount, location: original.location }
    await alice.putStored('runs/copy', claim, {}, { version: '2.0.0' })
    expect((await alice.putStored('runs/copy', claim, { note: 'changed' })).version).toBe('2.0.1')
  })
})
