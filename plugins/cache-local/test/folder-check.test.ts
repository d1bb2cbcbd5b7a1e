import { chmod, mkdir, open, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { readOnlyModesHold } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { fileListPath } from '../src/entry-record.js'
import { createLocalCache, type LocalCache, type LocalCacheOptions } from '../src/index.js'
import { THREADED_SEAL_MIN_FILES } from '../src/seal-on-threads.js'

// get() of a folder entry larger than its sample of 64 files, with folderCheck: all (what root
// gets by default, where the read-only mode stops no write through the returned path).

const roots: string[] = []
const opened: LocalCache[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()))
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })))
})

async function openCache(options: Omit<LocalCacheOptions, 'path'>): Promise<LocalCache> {
  const root = await temporaryFolder('cache-local-folder-check')
  roots.push(root)
  const cache = createLocalCache({ path: join(root, 'cache'), ...options })
  opened.push(cache)
  return cache
}

/** A folder entry of `count` files in 10 subfolders; answers its path. */
async function folderEntry(cache: LocalCache, key: string, count: number): Promise<string> {
  const folder = cache.stagingPath(key)
  for (let d = 0; d < 10; d++) await mkdir(join(folder, `d${d}`), { recursive: true })
  for (let i = 0; i < count; i++) await writeFile(join(folder, `d${i % 10}`, `chunk.${String(i).padStart(4, '0')}`), `chunk ${i}`)
  return cache.set(key, folder)
}

/** A file of the entry that its record's sample of 64 leaves out, from the full list beside it. */
async function unsampled(entry: string): Promise<string> {
  const record = JSON.parse(await readFile(join(entry, '..', 'entry.json'), 'utf8')) as { files: Array<{ path: string }> }
  const sampled = new Set(record.files.map((file) => file.path))
  const all = JSON.parse(await readFile(fileListPath(entry), 'utf8')) as Array<{ path: string }>
  const path = all.find((file) => !sampled.has(file.path))?.path
  if (path === undefined) throw new Error('every file is in the sample')
  return join(entry, ...path.split('/'))
}

/** One byte flipped in place: same size, same inode; only the mtime tells (past a clock tick). */
async function flipByte(path: string): Promise<void> {
  await delay(30)
  await chmod(path, 0o600)
  const handle = await open(path, 'r+')
  const byte = Buffer.alloc(1)
  await handle.read(byte, 0, 1, 0)
  await handle.write(Buffer.from([(byte[0] ?? 0) ^ 0xff]), 0, 1, 0)
  await handle.close()
}

describe('folderCheck: all', () => {
  // Below THREADED_SEAL_MIN_FILES the stats run on the event loop, from it on threads.
  it.each([200, THREADED_SEAL_MIN_FILES + 88])('a write in place through any file of a folder of %i files makes get a miss, and the entry is gone', async (count) => {
    const cache = await openCache({ folderCheck: 'all' })
    const entry = await folderEntry(cache, 'zarr/store', count)
    expect(await cache.get('zarr/store')).toBe(entry)
    await flipByte(await unsampled(entry))
    expect(await cache.get('zarr/store')).toBeNull()
    expect(await cache.has('zarr/store')).toBe(false)
  })

  it.each([
    ['removed', (path: string) => rm(path)],
    ['replaced by a link to a file of the same bytes', async (path: string) => {
      await writeFile(`${path}.elsewhere`, await readFile(path))
      await rm(path)
      await symlink(`${path}.elsewhere`, path)
    }],
    ['replaced by a folder', async (path: string) => {
      await rm(path)
      await mkdir(path)
    }],
  ])('a file %s makes get a miss, on the event loop and on threads', async (_, change) => {
    for (const count of [200, THREADED_SEAL_MIN_FILES + 88]) {
      const cache = await openCache({ folderCheck: 'all' })
      const entry = await folderEntry(cache, 'zarr/store', count)
      await change(await unsampled(entry))
      expect(await cache.get('zarr/store'), `${count} files`).toBeNull()
    }
  })

  it('an entry whose full file list is lost is a miss, not a failure', async () => {
    const cache = await openCache({ folderCheck: 'all' })
    const entry = await folderEntry(cache, 'zarr/store', 100)
    await rm(fileListPath(entry))
    expect(await cache.get('zarr/store')).toBeNull()
  })

  it('an unchanged folder on threads stays a hit', async () => {
    const cache = await openCache({ folderCheck: 'all' })
    const entry = await folderEntry(cache, 'zarr/store', THREADED_SEAL_MIN_FILES + 88)
    expect(await cache.get('zarr/store')).toBe(entry)
    expect(await cache.get('zarr/store')).toBe(entry)
    expect(await cache.verify()).toEqual({ checked: 1, removed: [] })
  })
})

describe('a damaged file list', () => {
  const damage: Array<[string, (list: Array<Record<string, unknown>>) => string]> = [
    ['not JSON', () => '['],
    ['not a list', () => '{}'],
    ['an empty list', () => '[]'],
    ['one file short', (list) => JSON.stringify(list.slice(1))],
    ['a path out of the folder', (list) => JSON.stringify([{ ...list[0], path: '../../entry.json' }, ...list.slice(1)])],
    ['a size that is not a number', (list) => JSON.stringify([{ ...list[0], size: '9' }, ...list.slice(1)])],
  ]

  it.each(damage)('(%s) makes get a miss with folderCheck: all, and verify removes the entry', async (_, damaged) => {
    for (const folderCheck of ['all', 'sample'] as const) {
      const cache = await openCache({ folderCheck })
      const entry = await folderEntry(cache, 'zarr/store', 100)
      const list = JSON.parse(await readFile(fileListPath(entry), 'utf8')) as Array<Record<string, unknown>>
      await writeFile(fileListPath(entry), damaged(list))
      if (folderCheck === 'all') expect(await cache.get('zarr/store')).toBeNull()
      else expect((await cache.verify()).removed).toEqual(['zarr/store'])
    }
  })
})

describe('folderCheck', () => {
  it('auto checks every file exactly where the read-only mode does not stop a write (root)', async () => {
    const cache = await openCache({})
    expect(cache.checksEveryFile).toBe(!readOnlyModesHold())
    expect((await openCache({ folderCheck: 'sample' })).checksEveryFile).toBe(false)
    expect((await openCache({ folderCheck: 'all' })).checksEveryFile).toBe(true)
  })

  it('sample leaves a write in place to an unsampled file to verify', async () => {
    const cache = await openCache({ folderCheck: 'sample' })
    const entry = await folderEntry(cache, 'zarr/store', 200)
    await flipByte(await unsampled(entry))
    expect(await cache.get('zarr/store')).toBe(entry)
    expect((await cache.verify()).removed).toEqual(['zarr/store'])
  })
})
