import { randomBytes } from 'node:crypto'
import type { CacheLock } from '@assets/core'
import { sha256 } from '@assets/core'
import { expect } from 'vitest'
import { delay } from './byte-streams.js'
import { type CacheTest, flipBitSilently, stageFile, stageFolder } from './cache-case.js'
import { expectAborted } from './expect-failure.js'

/** Locks, counting, listing, eviction, verification and clearing. */
export function cacheMaintenanceCases(test: CacheTest): void {
  lockCases(test)

  test('lists the entries with their keys, paths and sizes', async ({ cache, key }) => {
    const a = key()
    const b = key()
    const pathA = await cache.set(a, await stageFile(cache, a, randomBytes(300)))
    const pathB = await cache.set(b, await stageFolder(cache, b, { x: randomBytes(100), 'y/z': randomBytes(20) }))
    const listed = []
    for await (const entry of cache.list()) listed.push(entry)
    const mine = listed.filter((entry) => entry.key === a || entry.key === b).sort((p, q) => (p.size < q.size ? -1 : 1))
    expect(mine).toMatchObject([
      { key: b, path: pathB, size: 120 },
      { key: a, path: pathA, size: 300 },
    ])
    for (const entry of mine) expect(entry.lastAccess).toBeInstanceOf(Date)
  })

  test('stats count entries, bytes, hits and misses', async ({ cache, key }) => {
    const before = await cache.stats()
    const a = key()
    const b = key()
    expect(await cache.get(a)).toBeNull()
    await cache.set(a, await stageFile(cache, a, randomBytes(100)))
    await cache.set(b, await stageFolder(cache, b, { one: randomBytes(50), 'two/three': randomBytes(25) }))
    await cache.get(a)
    await cache.get(b)
    await cache.get(b)
    const after = await cache.stats()
    expect(after.entries - before.entries).toBe(2)
    expect(after.bytes - before.bytes).toBe(175)
    expect(after.hits - before.hits).toBe(3)
    expect(after.misses - before.misses).toBe(1)
  })

  test('prune with maxBytes evicts the least recently used entries first', async ({ cache, key }) => {
    await cache.clear()
    const [a, b, c] = [key(), key(), key()]
    for (const k of [a, b, c]) {
      await cache.set(k, await stageFile(cache, k, randomBytes(1000)))
      await delay(30)
    }
    // `a` was set first but read last, so `b` is now the least recently used.
    expect(await cache.get(a)).not.toBeNull()
    expect(await cache.prune({ maxBytes: 2000 })).toEqual({ removed: 1, freedBytes: 1000 })
    expect(await cache.has(b)).toBe(false)
    expect(await cache.has(a)).toBe(true)
    expect(await cache.has(c)).toBe(true)
    expect((await cache.stats()).bytes).toBe(2000)
    expect(await cache.prune({ maxBytes: 0 })).toEqual({ removed: 2, freedBytes: 2000 })
    expect((await cache.stats()).entries).toBe(0)
  })

  test('prune removes expired entries and leaves the rest', async ({ cache, key, ttlSeconds }) => {
    await cache.clear()
    const short = key()
    const kept = key()
    await cache.set(short, await stageFile(cache, short, randomBytes(10)), { ttl: ttlSeconds })
    await cache.set(kept, await stageFile(cache, kept, randomBytes(20)))
    await delay(ttlSeconds * 1000 + 250)
    expect(await cache.prune()).toEqual({ removed: 1, freedBytes: 10 })
    expect(await cache.has(kept)).toBe(true)
    expect((await cache.stats()).entries).toBe(1)
  })

  test('verify re-hashes content entries and removes damaged ones', async ({ cache }) => {
    const good = randomBytes(4000)
    const goodKey = sha256(good)
    const wrong = randomBytes(4000)
    const wrongKey = sha256(randomBytes(4000))
    const rotting = randomBytes(4000)
    const rottingKey = sha256(rotting)
    await cache.set(goodKey, await stageFile(cache, goodKey, good))
    await cache.set(wrongKey, await stageFile(cache, wrongKey, wrong))
    const rottingPath = await cache.set(rottingKey, await stageFile(cache, rottingKey, rotting))
    await flipBitSilently(rottingPath)
    const result = await cache.verify()
    expect(result.checked).toBeGreaterThanOrEqual(3)
    expect([...result.removed].sort()).toEqual([wrongKey, rottingKey].sort())
    expect(await cache.get(goodKey)).not.toBeNull()
    expect(await cache.get(wrongKey)).toBeNull()
    expect(await cache.get(rottingKey)).toBeNull()
  })

  test('clear removes every entry and value, and the cache works afterwards', async ({ cache, key }) => {
    const k = key()
    await cache.set(k, await stageFile(cache, k, 'entry'))
    await cache.setValue(k, 'value')
    await cache.clear()
    expect(await cache.get(k)).toBeNull()
    expect(await cache.getValue(k)).toBeNull()
    expect((await cache.stats()).entries).toBe(0)
    const path = await cache.set(k, await stageFile(cache, k, 'again'))
    expect(await cache.get(k)).toBe(path)
  })
}

function lockCases(test: CacheTest): void {
  test('a second lock on the same key waits until the first is released', async ({ cache, key }) => {
    const k = key()
    const first = await cache.lock(k)
    let secondHeld = false
    const second = cache.lock(k).then((lock) => {
      secondHeld = true
      return lock
    })
    await delay(300)
    expect(secondHeld).toBe(false)
    await first.release()
    const lock = await withinSeconds(second, 5)
    expect(secondHeld).toBe(true)
    await lock.release()
  })

  test('locks on different keys do not wait for each other', async ({ cache, key }) => {
    const a = await cache.lock(key())
    const b = await withinSeconds(cache.lock(key()), 2)
    await a.release()
    await b.release()
  })

  test('a waiting lock gives up when its signal aborts, leaving the lock to others', async ({ cache, key }) => {
    const k = key()
    const first = await cache.lock(k)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await expectAborted(() => cache.lock(k, { signal: controller.signal }))
    await first.release()
    const next = await withinSeconds(cache.lock(k), 2)
    await next.release()
  })

  test('releasing a lock twice is harmless and does not release a later holder', async ({ cache, key }) => {
    const k = key()
    const first = await cache.lock(k)
    await first.release()
    const second = await cache.lock(k)
    await first.release()
    let thirdHeld = false
    const third = cache.lock(k).then((lock) => {
      thirdHeld = true
      return lock
    })
    await delay(200)
    expect(thirdHeld).toBe(false)
    await second.release()
    await (await withinSeconds(third, 5)).release()
  })
}

async function withinSeconds(lock: Promise<CacheLock>, seconds: number): Promise<CacheLock> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the lock was not granted within ${seconds} s`)), seconds * 1000)
  })
  try {
    return await Promise.race([lock, timeout])
  } finally {
    clearTimeout(timer)
  }
}
