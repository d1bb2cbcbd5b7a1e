import { createHash, randomBytes } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ManifestEntry, sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { versionFromRevision, versionTag } from '../src/index.js'
import { addUsers, expectFailure, OWNER_TOKEN, seed, storageOn } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'
import type { HubRepo } from './fixtures/hub-state.js'

let hub: LocalHub
let scratch: string

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
  // Small pages, so that listing a repository follows the Link header across several.
  hub.state.treePageSize = 2
  // Every file of 64 KiB or more goes to LFS, whatever its first bytes, so the CDN paths are certain.
  hub.state.lfsThreshold = 64 * 1024
})
afterAll(async () => {
  await hub?.close()
})
beforeEach(async () => {
  scratch = await temporaryFolder('storage-hf-repo')
})
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true })
})

let repoCount = 0
function newRepo(type: 'model' | 'dataset' | 'space' = 'model'): { repo: HubRepo; id: string } {
  const id = `owner/repo-${++repoCount}`
  return { repo: hub.state.createRepo(type, id, 'owner'), id }
}

const lfsOid = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('downloading a whole repository', () => {
  it('at a version tag and at main gives each revision its own files, with sizes and sha256s', async () => {
    const { repo, id } = newRepo()
    const weightsV1 = randomBytes(300_000)
    const weightsV2 = randomBytes(310_000)
    seed(hub, repo, { 'config.json': '{"layers": 2}', 'weights/model.bin': weightsV1, 'README.md': 'first' })
    const storage = storageOn(hub, { repo: id, token: OWNER_TOKEN })
    const tagged = await storage.tagVersion('v1.0.0')
    seed(hub, repo, { 'config.json': '{"layers": 3}', 'weights/model.bin': weightsV2, 'README.md': null, 'weights/extra/head.bin': randomBytes(10) })

    const atTag = await storage.downloadRepository(join(scratch, 'v1'), { revision: 'v1.0.0' })
    const atMain = await storage.downloadRepository(join(scratch, 'main'))

    expect(atTag).toMatchObject({ repo: id, revision: 'v1.0.0', version: '1.0.0', commit: tagged.commit })
    expect(atTag.files).toEqual([
      { path: 'README.md', size: 5, digest: sha256('first') },
      { path: 'config.json', size: 13, digest: sha256('{"layers": 2}') },
      { path: 'weights/model.bin', size: weightsV1.length, digest: sha256(weightsV1) },
    ])
    // The file list is a folder manifest's entries as they are.
    const manifest: ManifestEntry[] = atTag.files
    expect(manifest).toHaveLength(3)
    expect(atMain.commit).toBe(await storage.resolveRevision('main'))
    expect(atMain.commit).not.toBe(atTag.commit)
    expect(atMain.version).toBeUndefined()
    expect(atMain.files.map((f) => f.path)).toEqual(['config.json', 'weights/extra/head.bin', 'weights/model.bin'])
    expect(atMain.files[2]).toEqual({ path: 'weights/model.bin', size: weightsV2.length, digest: sha256(weightsV2) })
    expect((await readFile(join(scratch, 'v1', 'weights', 'model.bin'))).equals(weightsV1)).toBe(true)
    expect((await readFile(join(scratch, 'main', 'weights', 'model.bin'))).equals(weightsV2)).toBe(true)
    expect(existsSync(join(scratch, 'main', 'README.md'))).toBe(false)
    expect(existsSync(join(scratch, 'v1.partial'))).toBe(false)
    // The listing crossed several pages of two entries.
    expect(hub.requests.filter((r) => r.includes(`/api/models/${id}/tree/`)).length).toBeGreaterThan(2)
  })

  it('reads the same tag through atVersion, a read-only view of the repository', async () => {
    const { repo, id } = newRepo()
    seed(hub, repo, { 'data.csv': 'a,b\n1,2\n' })
    const storage = storageOn(hub, { repo: id, token: OWNER_TOKEN })
    await storage.tagVersion('2.1.0')
    seed(hub, repo, { 'data.csv': 'a,b\n3,4\n' })
    const pinned = storage.atVersion('2.1.0')
    expect(pinned.capabilities.write).toBe(false)
    const destination = join(scratch, 'data.csv')
    await pinned.download('data.csv', destination)
    expect(await readFile(destination, 'utf8')).toBe('a,b\n1,2\n')
    await expectFailure(() => pinned.upload('data.csv', join(scratch, 'data.csv')), 'UNSUPPORTED_OPERATION')
    await expectFailure(() => storage.tagVersion('2.1.0'), 'VERSION_CONFLICT')
    await expectFailure(() => storage.tagVersion('2.1'), 'INVALID_VERSION')
    expect([versionTag('v3.0.0-rc.1'), versionFromRevision('v3.0.0-rc.1'), versionFromRevision('main')]).toEqual(['v3.0.0-rc.1', '3.0.0-rc.1', undefined])
  })

  it('downloads dataset and space repositories through their own URL prefixes', async () => {
    for (const type of ['dataset', 'space'] as const) {
      const { repo, id } = newRepo(type)
      const table = randomBytes(50_000)
      seed(hub, repo, { 'train/part-0.parquet': table, 'app.py': 'print(1)' })
      const result = await storageOn(hub, { repo: id, repoType: type }).downloadRepository(join(scratch, type))
      expect(result.files).toEqual([
        { path: 'app.py', size: 8, digest: sha256('print(1)') },
        { path: 'train/part-0.parquet', size: table.length, digest: sha256(table) },
      ])
      expect(hub.requests).toContain(`GET /${type}s/${id}/resolve/${result.commit}/train/part-0.parquet`)
    }
  })

  it('resumes a partial file left by an earlier run, fetching only the missing tail', async () => {
    const { repo, id } = newRepo()
    const weights = randomBytes(400_000)
    seed(hub, repo, { 'model.safetensors': weights, 'config.json': '{}' })
    await mkdir(join(scratch, 'out.partial'), { recursive: true })
    await writeFile(join(scratch, 'out.partial', 'model.safetensors'), weights.subarray(0, 150_000))
    const result = await storageOn(hub, { repo: id }).downloadRepository(join(scratch, 'out'))
    expect(result.files.find((f) => f.path === 'model.safetensors')?.digest).toBe(sha256(weights))
    expect((await readFile(join(scratch, 'out', 'model.safetensors'))).equals(weights)).toBe(true)
    expect(hub.state.rangeLog).toContain(`/lfs-cdn/${lfsOid(weights)} bytes=150000-`)
  })

  it('leaves out files an earlier attempt staged that the revision no longer has', async () => {
    const { repo, id } = newRepo()
    seed(hub, repo, { 'config.json': '{}' })
    // A run at an older commit died with a half-written file the current revision deleted.
    await mkdir(join(scratch, 'out.partial', 'old'), { recursive: true })
    await writeFile(join(scratch, 'out.partial', 'old', 'gone.bin'), randomBytes(1000))
    const result = await storageOn(hub, { repo: id }).downloadRepository(join(scratch, 'out'))
    expect(result.files.map((f) => f.path)).toEqual(['config.json'])
    expect(existsSync(join(scratch, 'out', 'old', 'gone.bin'))).toBe(false)
    expect((await readFile(join(scratch, 'out', 'config.json'), 'utf8'))).toBe('{}')
  })

  it('resumes after the connection is cut mid-file', async () => {
    const { repo, id } = newRepo()
    const weights = randomBytes(2_000_000)
    seed(hub, repo, { 'weights.bin': weights })
    hub.state.cutAfter.set(lfsOid(weights), 700_000)
    const result = await storageOn(hub, { repo: id }).downloadRepository(join(scratch, 'out'))
    expect(result.files).toEqual([{ path: 'weights.bin', size: weights.length, digest: sha256(weights) }])
    const resumedAt = hub.state.rangeLog.filter((r) => r.startsWith(`/lfs-cdn/${lfsOid(weights)} bytes=`))
    expect(resumedAt.length).toBe(1)
    expect(Number(/bytes=(\d+)-/.exec(resumedAt[0]!)?.[1])).toBeGreaterThan(0)
  })

  it('an aborted download leaves no destination, and the next call resumes what it had fetched', async () => {
    const { repo, id } = newRepo()
    const weights = randomBytes(3_000_000)
    seed(hub, repo, { 'weights.bin': weights, 'config.json': '{"a": 1}' })
    const storage = storageOn(hub, { repo: id })
    const controller = new AbortController()
    const aborted = await storage
      .downloadRepository(join(scratch, 'out'), {
        signal: controller.signal,
        concurrency: 1,
        onProgress: (p) => {
          if (p.bytes > 1_000_000) controller.abort()
        },
      })
      .then(
        () => 'finished',
        (error: Error) => error.name,
      )
    expect(aborted).toBe('AbortError')
    expect(existsSync(join(scratch, 'out'))).toBe(false)
    // Progress counts bytes in the file, so what was reported before the abort is kept for the resume.
    const kept = statSync(join(scratch, 'out.partial', 'weights.bin')).size
    expect(kept).toBeGreaterThan(1_000_000 - '{"a": 1}'.length)
    const before = hub.state.rangeLog.length
    const result = await storage.downloadRepository(join(scratch, 'out'))
    expect(result.files.map((f) => f.digest)).toEqual([sha256('{"a": 1}'), sha256(weights)])
    // The resume asks for the rest from where the kept bytes end; when the abort came only after
    // the last byte was written (streams buffer more on some Node versions), for nothing at all.
    const resumed = hub.state.rangeLog.slice(before).filter((r) => r.startsWith(`/lfs-cdn/${lfsOid(weights)} `))
    expect(resumed).toEqual(kept < weights.length ? [`/lfs-cdn/${lfsOid(weights)} bytes=${kept}-`] : [])
  })

  it('refuses an LFS file whose bytes do not match the hub sha256, leaving nothing at the destination', async () => {
    const { repo, id } = newRepo()
    const good = randomBytes(100_000)
    const bad = randomBytes(120_000)
    seed(hub, repo, { 'a/good.bin': good, 'b/bad.bin': bad })
    hub.state.corrupted.add(lfsOid(bad))
    const storage = storageOn(hub, { repo: id })
    const error = await expectFailure(() => storage.downloadRepository(join(scratch, 'out')), 'INTEGRITY_ERROR')
    expect(String(error)).toContain('b/bad.bin')
    expect(String(error)).toContain(lfsOid(bad))
    expect(existsSync(join(scratch, 'out'))).toBe(false)
    expect(existsSync(join(scratch, 'out.partial', 'b', 'bad.bin'))).toBe(false)

    // A single-file download checks the same digest and removes what it wrote.
    await expectFailure(() => storage.download('b/bad.bin', join(scratch, 'bad.bin')), 'INTEGRITY_ERROR')
    expect(existsSync(join(scratch, 'bad.bin'))).toBe(false)

    // Once the hub serves the right bytes, the next run keeps the verified file and fetches the rest.
    hub.state.corrupted.delete(lfsOid(bad))
    const result = await storage.downloadRepository(join(scratch, 'out'))
    expect(result.files.map((f) => f.digest)).toEqual([sha256(good), sha256(bad)])
  })

  it('refuses a regular file whose bytes do not match its git blob id', async () => {
    const { repo, id } = newRepo()
    seed(hub, repo, { 'notes.txt': 'the real notes' })
    const file = hub.state.commitAt(repo, 'main').files.get('notes.txt')!
    expect(file.lfs).toBeUndefined()
    hub.state.blobs.set(file.oid, Buffer.from('the fake notes'))
    await expectFailure(() => storageOn(hub, { repo: id }).downloadRepository(join(scratch, 'out')), 'INTEGRITY_ERROR')
    expect(existsSync(join(scratch, 'out'))).toBe(false)
  })

  it('refuses a destination that already holds files', async () => {
    const { repo, id } = newRepo()
    seed(hub, repo, { 'x.txt': 'x' })
    await mkdir(join(scratch, 'busy'))
    await writeFile(join(scratch, 'busy', 'keep.txt'), 'mine')
    await expectFailure(() => storageOn(hub, { repo: id }).downloadRepository(join(scratch, 'busy')), 'INVALID_INPUT')
    expect(await readFile(join(scratch, 'busy', 'keep.txt'), 'utf8')).toBe('mine')
  })
})
