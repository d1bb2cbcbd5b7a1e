import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import type { Cache } from '@assets/core'
import { expect, type TestAPI } from 'vitest'
import { delay } from './byte-streams.js'
import { type CacheTest, digestsOf, flipFirstBit, folderDigests, makeWritable, stageFile, stageFolder } from './cache-case.js'
import { cacheLinkCases } from './cache-link-cases.js'
import { cacheMaintenanceCases } from './cache-maintenance-cases.js'
import { expectFailure } from './expect-failure.js'
import { randomKey } from './fixtures.js'

export interface CacheSuiteOptions {
  /** Seconds of the ttl in the expiry tests (default 1); each waits a little longer than this. */
  ttlSeconds?: number
  /** First segment of every key the suite uses (default `suite`). */
  prefix?: string
  /** Whether the cache says `acceptsHardlinks`: when given, the suite checks the flag, and when true how set() treats a hard link. */
  hardlinks?: boolean
}

/**
 * The conformance suite every Cache runs. `create` is called once per test and must return a
 * cache over its own, empty store: the suite clears, prunes and counts.
 *
 * Damage is simulated the way it happens: through the filesystem, on the path get() returned.
 */
export function cacheSuite(it: TestAPI, create: () => Cache | Promise<Cache>, options: CacheSuiteOptions = {}): void {
  const ttlSeconds = options.ttlSeconds ?? 1
  const prefix = options.prefix ?? 'suite'
  const test: CacheTest = (name, body) =>
    it(name, async () => {
      const cache = await create()
      try {
        await body({ cache, key: () => randomKey(prefix), ttlSeconds })
      } finally {
        await cache.close()
      }
    })

  test('has a name', async ({ cache }) => {
    expect(typeof cache.name).toBe('string')
    expect(cache.name.length).toBeGreaterThan(0)
  })

  if (options.hardlinks !== undefined) {
    test(options.hardlinks ? 'accepts hard links, as declared' : 'accepts no hard links, as declared', async ({ cache }) => {
      expect(cache.acceptsHardlinks === true).toBe(options.hardlinks)
    })
  }

  entryCases(test)
  damageCases(test)
  if (options.hardlinks) cacheLinkCases(test)
  valueCases(test)
  cacheMaintenanceCases(test)
}

function entryCases(test: CacheTest): void {
  test('sets, gets, has and deletes a file entry', async ({ cache, key }) => {
    const k = key()
    const bytes = randomBytes(10_000)
    expect(await cache.get(k)).toBeNull()
    expect(await cache.has(k)).toBe(false)
    const path = await cache.set(k, await stageFile(cache, k, bytes))
    expect(await cache.get(k)).toBe(path)
    expect(await cache.get(k)).toBe(path)
    expect(await cache.has(k)).toBe(true)
    expect((await readFile(path)).equals(bytes)).toBe(true)
    await cache.delete(k)
    expect(await cache.get(k)).toBeNull()
    expect(await cache.has(k)).toBe(false)
    await cache.delete(k)
  })

  test('set moves the staged file into the cache rather than copying it', async ({ cache, key }) => {
    const k = key()
    const staged = await stageFile(cache, k, 'model weights')
    const path = await cache.set(k, staged)
    expect(path).not.toBe(staged)
    expect(existsSync(staged)).toBe(false)
    expect(await readFile(path, 'utf8')).toBe('model weights')
  })

  test('sets, gets and deletes a folder entry', async ({ cache, key }) => {
    const k = key()
    const files = { '.zattrs': '{}', 'X/0.0': randomBytes(3000), 'X/0.1': randomBytes(10), 'obs/cell_type/.zarray': '{"a":1}' }
    const staged = await stageFolder(cache, k, files)
    const path = await cache.set(k, staged)
    expect(existsSync(staged)).toBe(false)
    expect(await cache.get(k)).toBe(path)
    expect((await stat(path)).isDirectory()).toBe(true)
    expect(await folderDigests(path)).toEqual(digestsOf(files))
    await cache.delete(k)
    expect(await cache.get(k)).toBeNull()
  })

  test('a second set replaces the entry, even a file with a folder', async ({ cache, key }) => {
    const k = key()
    await cache.set(k, await stageFile(cache, k, 'first'))
    const second = await cache.set(k, await stageFile(cache, k, 'second, longer'))
    expect(await readFile((await cache.get(k)) ?? '', 'utf8')).toBe('second, longer')
    expect(await cache.get(k)).toBe(second)
    const third = await cache.set(k, await stageFolder(cache, k, { 'a.txt': 'third' }))
    expect(await cache.get(k)).toBe(third)
    expect(await readFile(join(third, 'a.txt'), 'utf8')).toBe('third')
  })

  test('the staging path is stable per key and differs between keys', async ({ cache, key }) => {
    const a = key()
    expect(cache.stagingPath(a)).toBe(cache.stagingPath(a))
    expect(cache.stagingPath(a)).not.toBe(cache.stagingPath(key()))
    expect(cache.stagingPath('sha256:' + '0'.repeat(64))).not.toBe(cache.stagingPath('sha256:' + '1'.repeat(64)))
  })

  test('an entry set with a ttl is a miss once it expires', async ({ cache, key, ttlSeconds }) => {
    const k = key()
    await cache.set(k, await stageFile(cache, k, 'alias target'), { ttl: ttlSeconds })
    expect(await cache.get(k)).not.toBeNull()
    await delay(ttlSeconds * 1000 + 250)
    expect(await cache.get(k)).toBeNull()
    expect(await cache.has(k)).toBe(false)
  })

  test('refuses to set from a path where there is nothing', async ({ cache, key }) => {
    const k = key()
    await expectFailure(() => cache.set(k, `${cache.stagingPath(k)}-missing`), 'INVALID_INPUT')
    expect(await cache.get(k)).toBeNull()
  })
}

/** A damaged entry must never be handed out: get() reports a miss and the manager fetches again. */
function damageCases(test: CacheTest): void {
  test('a truncated file entry is a miss, and the key can be filled again', async ({ cache, key }) => {
    const k = key()
    const path = await cache.set(k, await stageFile(cache, k, randomBytes(5000)))
    await makeWritable(path)
    await truncate(path, 4000)
    expect(await cache.get(k)).toBeNull()
    expect(await cache.has(k)).toBe(false)
    const again = await cache.set(k, await stageFile(cache, k, 'fetched again'))
    expect(await cache.get(k)).toBe(again)
  })

  test('an entry edited in place (same size, one bit flipped) is a miss', async ({ cache, key }) => {
    const k = key()
    const path = await cache.set(k, await stageFile(cache, k, randomBytes(5000)))
    // Caches detect edits by size, mtime and inode, not by re-hashing on every get; editing
    // through the filesystem changes the mtime. File timestamps advance by the kernel's clock
    // tick, so wait one out before editing.
    await delay(30)
    await flipFirstBit(path)
    expect((await stat(path)).size).toBe(5000)
    expect(await cache.get(k)).toBeNull()
  })

  test('a folder entry with a truncated file is a miss', async ({ cache, key }) => {
    const k = key()
    const path = await cache.set(k, await stageFolder(cache, k, { 'config.json': '{"layers":12}', 'weights/part-0': randomBytes(4096) }))
    const part = join(path, 'weights', 'part-0')
    await makeWritable(part)
    await truncate(part, 100)
    expect(await cache.get(k)).toBeNull()
  })
}

function valueCases(test: CacheTest): void {
  test('values round-trip as JSON, can be replaced and deleted', async ({ cache, key }) => {
    const k = key()
    expect(await cache.getValue(k)).toBeNull()
    const value = { version: '1.2.3', tags: ['latest', 'paper-2025'], size: 42, nested: { ok: true } }
    await cache.setValue(k, value)
    expect(await cache.getValue(k)).toEqual(value)
    for (const next of ['a string', 0, false, [1, 2, 3]]) {
      await cache.setValue(k, next)
      expect(await cache.getValue(k)).toEqual(next)
    }
    await cache.deleteValue(k)
    expect(await cache.getValue(k)).toBeNull()
    await cache.deleteValue(k)
  })

  test('values and entries with the same key do not collide', async ({ cache, key }) => {
    const k = key()
    await cache.setValue(k, { alias: 'v1' })
    const path = await cache.set(k, await stageFile(cache, k, 'entry'))
    expect(await cache.getValue(k)).toEqual({ alias: 'v1' })
    await cache.deleteValue(k)
    expect(await cache.get(k)).toBe(path)
  })

  test('a value set with a ttl is gone once it expires', async ({ cache, key, ttlSeconds }) => {
    const k = key()
    const lasting = key()
    await cache.setValue(k, 'short-lived', { ttl: ttlSeconds })
    await cache.setValue(lasting, 'kept')
    expect(await cache.getValue(k)).toBe('short-lived')
    await delay(ttlSeconds * 1000 + 250)
    expect(await cache.getValue(k)).toBeNull()
    expect(await cache.getValue(lasting)).toBe('kept')
  })
}
