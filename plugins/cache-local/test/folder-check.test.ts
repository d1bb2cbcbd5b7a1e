import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readOnlyModesHold } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { fileListPath } from '../src/entry-record.js'
import { createLocalCache, type LocalCache, type LocalCacheOptions } from '../src/index.js'
import { THREADED_SEAL_MIN_FILES } from '../src/seal-on-threads.js'

// get() of a folder entry larger than its sample of 64 files, with folderCheck: all (what root
// gets by default, where the read-only mode stops no write through the returned path).

let root = ''
const opened: LocalCache[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()))
  if (root !== '') await rm(root, { recursive: true, force: true })
  root = ''
})

async function openCache(options: Omit<LocalCacheOptions, 'path'>): Promise<LocalCache> {
  root = await temporaryFolder('cache-local-folder-check')
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

// Index 1 is never in the sample of 64 (every count/64-th file from index 0).
const unsampled = (entry: string) => join(entry, 'd1', 'chunk.0001')

describe('folderCheck: all', () => {
  // Below THREADED_SEAL_MIN_FILES the stats run on the event loop, from it on threads.
  it.each([200, THREADED_SEAL_MIN_FILES + 88])('a write through any file of a folder of %i files makes get a miss, and the entry is gone', async (count) => {
    const cache = await openCache({ folderCheck: 'all' })
    const entry = await folderEntry(cache, 'zarr/store', count)
    expect(await cache.get('zarr/store')).toBe(entry)
    // In place, as root can (the inode stays; the mtime moves, one second past the sealed one).
    await chmod(unsampled(entry), 0o600)
    await writeFile(unsampled(entry), 'edited')
    expect(await cache.get('zarr/store')).toBeNull()
    expect(await cache.has('zarr/store')).toBe(false)
  })

  it.each([
    ['removed', (path: string) => rm(path)],
    ['replaced by a link to a file of the same bytes', async (path: string) => {
      await writeFile(`${path}.elsewhere`, 'chunk 1')
      await rm(path)
      await symlink(`${path}.elsewhere`, path)
    }],
    ['replaced by a folder', async (path: string) => {
      await rm(path)
      await mkdir(path)
    }],
  ])('a file %s on threads makes get a miss', async (_, change) => {
    const cache = await openCache({ folderCheck: 'all' })
    const entry = await folderEntry(cache, 'zarr/store', THREADED_SEAL_MIN_FILES + 88)
    await change(unsampled(entry))
    expect(await cache.get('zarr/store')).toBeNull()
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

describe('folderCheck', () => {
  it('auto checks every file exactly where the read-only mode does not stop a write (root)', async () => {
    const cache = await openCache({})
    expect(cache.checksEveryFile).toBe(!readOnlyModesHold())
    expect((await openCache({ folderCheck: 'sample' })).checksEveryFile).toBe(false)
    expect((await openCache({ folderCheck: 'all' })).checksEveryFile).toBe(true)
  })

  it('sample leaves a write to an unsampled file to verify', async () => {
    const cache = await openCache({ folderCheck: 'sample' })
    const entry = await folderEntry(cache, 'zarr/store', 200)
    await chmod(unsampled(entry), 0o600)
    await writeFile(unsampled(entry), 'edited')
    expect(await cache.get('zarr/store')).toBe(entry)
    expect((await cache.verify()).removed).toEqual(['zarr/store'])
  })
})
