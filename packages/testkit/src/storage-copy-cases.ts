import { randomBytes } from 'node:crypto'
import { sha256, type Storage } from '@assets/core'
import { expect } from 'vitest'
import { chunksOf, readAll } from './byte-streams.js'
import { expectFailure } from './expect-failure.js'
import type { StorageTest } from './storage-case.js'

function copier(storage: Storage): NonNullable<Storage['copy']> {
  if (storage.copy === undefined) throw new Error('the suite was told the storage offers copy, but it has no copy method')
  return storage.copy.bind(storage)
}

/** `copy`, for a backend that offers it: the target holds the source's bytes, the source stays. */
export function storageCopyCases(test: StorageTest): void {
  test('copy places the same bytes at the target, replacing an object there, and keeps the source', async ({ storage, location }) => {
    const bytes = randomBytes(150_000)
    const [from, to] = [location(), location()]
    await storage.upload(from, chunksOf(bytes))
    await storage.upload(to, chunksOf(Buffer.from('older object')))
    await copier(storage)(from, to)
    expect(sha256(await readAll(storage.open(to)))).toBe(sha256(bytes))
    expect((await storage.stat(to))?.size).toBe(bytes.length)
    expect((await storage.stat(from))?.size).toBe(bytes.length)
  })

  test('copy of a missing object fails with NotFoundError and writes nothing', async ({ storage, location }) => {
    const [from, to] = [location(), location()]
    await expectFailure(() => copier(storage)(from, to), 'ASSET_NOT_FOUND')
    expect(await storage.stat(to)).toBeNull()
  })
}
