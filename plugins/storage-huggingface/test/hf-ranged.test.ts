import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { addUsers, expectFailure, seed, storageOn } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'

const MiB = 1 << 20
let hub: LocalHub
let scratch: string
let repoCount = 0

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
  hub.state.lfsThreshold = 64 * 1024
})
afterAll(async () => {
  await hub?.close()
})
beforeEach(async () => {
  scratch = await temporaryFolder('storage-hf-ranged')
})
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const lfsOid = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** A repository holding `bytes` as an LFS file, and a storage that reads LFS files above 1 MiB in 1 MiB ranges, 3 at a time. */
function seeded(bytes: Uint8Array): { storage: ReturnType<typeof storageOn>; journals: string } {
  const id = `owner/ranged-${++repoCount}`
  seed(hub, hub.state.createRepo('model', id, 'owner'), { 'weights.bin': bytes })
  const journals = join(scratch, 'journals')
  return { storage: storageOn(hub, { repo: id, rangeSize: MiB, rangeConcurrency: 3, journalDir: journals }), journals }
}

const cdnRanges = (bytes: Uint8Array, from = 0) => hub.state.rangeLog.slice(from).filter((r) => r.startsWith(`/lfs-cdn/${lfsOid(bytes)} `))

describe('LFS files larger than one range', () => {
  it('come from the CDN in parallel ranged GETs, hashed whole and checked against the hub sha256', async () => {
    const bytes = randomBytes(3 * MiB + 5)
    const { storage, journals } = seeded(bytes)
    const before = hub.state.rangeLog.length
    const destination = join(scratch, 'weights.bin')
    expect(await storage.download('weights.bin', destination)).toEqual({ size: bytes.length, digest: sha256(bytes) })
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    const oid = lfsOid(bytes)
    expect(cdnRanges(bytes, before).sort()).toEqual(
      [`bytes=0-${MiB - 1}`, `bytes=${MiB}-${2 * MiB - 1}`, `bytes=${2 * MiB}-${3 * MiB - 1}`, `bytes=${3 * MiB}-${3 * MiB + 4}`].map((r) => `/lfs-cdn/${oid} ${r}`).sort(),
    )
    expect(await readdir(journals)).toEqual([])
  })

  it('a range cut mid-way goes on from its next byte', async () => {
    const bytes = randomBytes(3 * MiB)
    const { storage } = seeded(bytes)
    hub.state.cutAfter.set(lfsOid(bytes), 300_000)
    const before = hub.state.rangeLog.length
    const destination = join(scratch, 'cut.bin')
    expect((await storage.download('weights.bin', destination)).digest).toBe(sha256(bytes))
    // Three ranges, and one more request for the rest of the range that was cut.
    const asked = cdnRanges(bytes, before)
    expect(asked).toHaveLength(4)
    expect(asked.some((r) => Number(/bytes=(\d+)-/.exec(r)?.[1]) % MiB !== 0)).toBe(true)
  })

  it('a range cut mid-way on a connection the CDN said it would close goes on from its next byte too', async () => {
    const bytes = randomBytes(3 * MiB)
    const { storage } = seeded(bytes)
    hub.state.cutAfter.set(lfsOid(bytes), 300_000)
    hub.state.cutClosing = true
    try {
      const before = hub.state.rangeLog.length
      expect((await storage.download('weights.bin', join(scratch, 'cut-closing.bin'))).digest).toBe(sha256(bytes))
      expect(cdnRanges(bytes, before)).toHaveLength(4)
    } finally {
      hub.state.cutClosing = false
    }
  })

  it('a download stopped part-way resumes from its journal, asking only for what the file lacks', async () => {
    const bytes = randomBytes(4 * MiB)
    const { storage, journals } = seeded(bytes)
    const destination = join(scratch, 'stopped.bin')
    const stop = new AbortController()
    // The ranges from 2 MiB on wait at the hub until the first two are in and the download is stopped.
    hub.state.holdFrom.set(lfsOid(bytes), 2 * MiB)
    const stopped = await storage.download('weights.bin', destination, { signal: stop.signal, onProgress: (p) => p.bytes >= 2 * MiB && stop.abort() }).then(
      () => 'finished',
      (error: Error) => error.name,
    )
    hub.state.releaseHeld()
    expect(stopped).toBe('AbortError')
    const [name] = await readdir(journals)
    const journal = JSON.parse(await readFile(join(journals, name as string), 'utf8')) as { done: Array<[number, number]> }
    const held = journal.done.reduce((sum, [start, end]) => sum + end - start, 0)
    expect(held).toBeGreaterThanOrEqual(2 * MiB)
    const before = hub.state.rangeLog.length
    expect((await storage.download('weights.bin', destination, { resume: true })).digest).toBe(sha256(bytes))
    // No range asked again covers a byte the journal held.
    for (const range of cdnRanges(bytes, before)) {
      const [, first, last] = /bytes=(\d+)-(\d+)/.exec(range) ?? []
      for (const [start, end] of journal.done) expect(Number(last) < start || Number(first) >= end).toBe(true)
    }
    expect(await readdir(journals)).toEqual([])
  })

  it('bytes that do not match the hub sha256 fail with IntegrityError and leave no file', async () => {
    const bytes = randomBytes(2 * MiB + 1)
    const { storage } = seeded(bytes)
    hub.state.corrupted.add(lfsOid(bytes))
    const destination = join(scratch, 'bad.bin')
    await expectFailure(() => storage.download('weights.bin', destination), 'INTEGRITY_ERROR')
    expect(existsSync(destination)).toBe(false)
  })
})
