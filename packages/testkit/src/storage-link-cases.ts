import { randomBytes } from 'node:crypto'
import { chmod, open, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { expect } from 'vitest'
import { readAll } from './byte-streams.js'
import { expectFailure } from './expect-failure.js'
import type { StorageTest } from './storage-case.js'

/**
 * `linkTo`, for a backend whose objects are local files: the bytes arrive without a copy, or
 * the answer is null; a hard link only where the caller allows one, and then read-only; and
 * nothing written at the destination afterwards reaches the object unless it is that hard link.
 */
export function storageLinkCases(test: StorageTest): void {
  test('linkTo places the object at a local path (replacing a file there), or answers null', async ({ storage, scratch, place, location }) => {
    const bytes = randomBytes(100_000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'linked.bin')
    await writeFile(destination, 'an older file at the destination')
    const how = await linkTo(storage)(at, destination, { hardlink: true })
    expect([null, 'reflink', 'hardlink']).toContain(how)
    if (how === null) {
      expect(await readFile(destination, 'utf8')).toBe('an older file at the destination')
    } else {
      expect(sha256(await readFile(destination))).toBe(sha256(bytes))
    }
    if (how === 'hardlink') {
      const info = await stat(destination)
      expect(info.nlink).toBeGreaterThan(1)
      expect(info.mode & 0o222).toBe(0)
    }
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(bytes))
  })

  test('linkTo without hardlink never shares the object: a write at the destination leaves it as it was', async ({ storage, scratch, place, location }) => {
    const bytes = randomBytes(50_000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'clone.bin')
    const how = await linkTo(storage)(at, destination, { hardlink: false })
    expect([null, 'reflink']).toContain(how)
    if (how === 'reflink') {
      expect((await stat(destination)).nlink).toBe(1)
      await chmod(destination, 0o600)
      const handle = await open(destination, 'r+')
      await handle.write(Buffer.from('overwritten'), 0, 11, 0)
      await handle.close()
    }
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(bytes))
  })

  test('linkTo of a missing object fails with NotFoundError', async ({ storage, scratch, location }) => {
    await expectFailure(() => linkTo(storage)(location(), join(scratch, 'nothing.bin'), { hardlink: true }), 'ASSET_NOT_FOUND')
  })
}

function linkTo(storage: Parameters<Parameters<StorageTest>[1]>[0]['storage']) {
  const method = storage.linkTo
  expect(typeof method).toBe('function')
  return (method as NonNullable<typeof method>).bind(storage)
}
