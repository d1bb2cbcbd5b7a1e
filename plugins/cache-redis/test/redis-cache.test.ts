import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { AssetConfig, digestHex, hasErrorCode, loadPlugin, sha256 } from '@assets/core'
import { cacheSuite, freePort, temporaryFolder } from '@assets/testkit'
import type { RedisClientType } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createRedisCache, RedisCache } from '../src/index.js'
import { Machines, rawClient, recordingLogger, SHARED_REDIS_URL, stageFile, stageFolder } from './fixtures/shared-redis.js'

let redis: RedisClientType
const machines = new Machines()

beforeAll(async () => {
  // Without Redis the cache would quietly pass on its local tier alone: fail instead.
  redis = await rawClient()
})

afterAll(async () => {
  await machines.cleanup(redis)
  await redis?.close()
})

describe('conformance', () => {
  cacheSuite(it, () => machines.machine({ keyPrefix: machines.isolatedPrefix() }))
})

describe('blobs shared between machines', () => {
  const blobKey = (digest: string) => `${machines.prefix}blob:${digestHex(digest as `sha256:${string}`)}`
  const chunkKey = (digest: string, index: number) => `${machines.prefix}chunk:${digestHex(digest as `sha256:${string}`)}:${index}`

  it('serves a small file set on one machine to another from Redis, verified, without storage', async () => {
    const a = await machines.machine({ chunkBytes: 4096 })
    const b = await machines.machine({ chunkBytes: 4096 })
    const bytes = randomBytes(50_000)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    expect(await redis.hGetAll(blobKey(key))).toEqual({ digest: key, size: '50000', chunks: '13', chunkBytes: '4096' })

    expect(await b.has(key)).toBe(true)
    const path = await b.get(key)
    expect(path?.startsWith(b.local.root)).toBe(true)
    expect((await readFile(path ?? '')).equals(bytes)).toBe(true)
    // Now in b's own local tier: served from there even once Redis has lost it.
    await redis.del(blobKey(key))
    expect(await b.get(key)).toBe(path)
    const stats = await b.stats()
    expect(stats).toMatchObject({ hits: 2, misses: 0, entries: 1, bytes: 50_000, redis: { available: true, hits: 1 } })
  })

  it('counts the blobs Redis holds in stats', async () => {
    const a = await machines.machine({ keyPrefix: machines.isolatedPrefix(), maxBlobBytes: 1000 })
    for (const size of [100, 200]) {
      const bytes = randomBytes(size)
      await a.set(sha256(bytes), await stageFile(a, sha256(bytes), bytes))
    }
    const large = randomBytes(5000)
    await a.set(sha256(large), await stageFile(a, sha256(large), large))
    expect((await a.stats()).redis).toEqual({ available: true, hits: 0, blobs: 2, blobBytes: 300, markers: 1 })
  })

  it('records but does not store files larger than maxBlobBytes, nor folders', async () => {
    const a = await machines.machine({ maxBlobBytes: 1000 })
    const b = await machines.machine({ maxBlobBytes: 1000 })
    const large = randomBytes(5000)
    const key = sha256(large)
    await a.set(key, await stageFile(a, key, large))
    expect(await redis.exists(blobKey(key))).toBe(0)
    expect(await redis.exists(chunkKey(key, 0))).toBe(0)
    expect(await redis.hGetAll(`${machines.prefix}marker:${key}`)).toEqual({ kind: 'file', size: '5000' })
    expect(await b.get(key)).toBeNull()
    expect(await b.has(key)).toBe(false)

    const folderKey = `folder:${sha256(randomBytes(8))}`
    await a.set(folderKey, await stageFolder(a, folderKey, { 'config.json': '0123456789', 'weights/part-0': randomBytes(20) }))
    expect(await redis.hGetAll(`${machines.prefix}marker:${folderKey}`)).toEqual({ kind: 'folder', size: '30' })
    expect(await b.get(folderKey)).toBeNull()
    expect(await a.get(folderKey)).not.toBeNull()
  })

  it('keeps entries under other keys, and bytes that do not match their key, on their own machine', async () => {
    const prefix = machines.isolatedPrefix()
    const a = await machines.machine({ keyPrefix: prefix })
    const b = await machines.machine({ keyPrefix: prefix })
    await a.set('models/x@1.0.0', await stageFile(a, 'models/x@1.0.0', 'machine-local'))
    const claimed = sha256('what the registry says')
    await a.set(claimed, await stageFile(a, claimed, 'something else'))
    expect(await b.get('models/x@1.0.0')).toBeNull()
    expect(await b.get(claimed)).toBeNull()
    expect(await redis.keys(`${prefix}*`)).toEqual([])
  })

  it('discards a blob in Redis whose bytes do not match its digest, and reports a miss', async () => {
    const logger = recordingLogger()
    const b = await machines.machine({}, logger)
    const key = sha256(randomBytes(100))
    await redis.set(chunkKey(key, 0), randomBytes(100))
    await redis.hSet(blobKey(key), { digest: key, size: '100', chunks: '1', chunkBytes: '1024' })
    expect(await b.get(key)).toBeNull()
    expect(await redis.exists([blobKey(key), chunkKey(key, 0)])).toBe(0)
    expect(await b.local.has(key)).toBe(false)
    expect(logger.warnings).toEqual([expect.stringContaining(`discarded ${key} from Redis`)])
    expect((await b.stats()).misses).toBe(1)
  })

  it('discards a blob with a missing piece or a malformed record, and reports a miss', async () => {
    const b = await machines.machine()
    const bytes = randomBytes(2000)
    const key = sha256(bytes)
    await redis.set(chunkKey(key, 0), bytes.subarray(0, 1024))
    await redis.hSet(blobKey(key), { digest: key, size: '2000', chunks: '2', chunkBytes: '1024' })
    expect(await b.get(key)).toBeNull()
    expect(await redis.exists([blobKey(key), chunkKey(key, 0)])).toBe(0)

    const other = sha256(randomBytes(10))
    await redis.hSet(blobKey(other), { digest: sha256('not this one'), size: '10', chunks: '1', chunkBytes: '1024' })
    expect(await b.get(other)).toBeNull()
    expect(await redis.exists(blobKey(other))).toBe(0)
  })

  it('verify re-hashes the blobs in Redis and deletes the damaged ones', async () => {
    const good = randomBytes(3000)
    const b = await machines.machine()
    const badKey = sha256(randomBytes(10))
    await redis.set(chunkKey(badKey, 0), randomBytes(10))
    await redis.hSet(blobKey(badKey), { digest: badKey, size: '10', chunks: '1', chunkBytes: '1024' })
    const goodKey = sha256(good)
    await b.set(goodKey, await stageFile(b, goodKey, good))
    const result = await b.verify()
    expect(result.removed).toContain(badKey)
    expect(result.removed).not.toContain(goodKey)
    expect(await redis.exists(blobKey(badKey))).toBe(0)
    expect(await redis.exists(blobKey(goodKey))).toBe(1)
  })

  it('delete removes the shared copy too', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const c = await machines.machine()
    const bytes = randomBytes(500)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    await b.delete(key)
    expect(await redis.exists(blobKey(key))).toBe(0)
    expect(await c.get(key)).toBeNull()
  })

  it('an entry set with a ttl expires from Redis and from the copies made of it', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const bytes = randomBytes(500)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes), { ttl: 0.6 })
    expect(await redis.pTTL(blobKey(key))).toBeGreaterThan(0)
    expect(await b.get(key)).not.toBeNull()
    await delay(800)
    expect(await redis.exists(blobKey(key))).toBe(0)
    expect(await b.get(key)).toBeNull()
  })
})

describe('values', () => {
  it('a value set on one machine is read on another at once, and so is its deletion', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const key = `meta:models/x-${randomBytes(4).toString('hex')}`
    await a.setValue(key, { refs: { latest: '1.2.0' } })
    expect(await b.getValue(key)).toEqual({ refs: { latest: '1.2.0' } })
    await b.setValue(key, { refs: { latest: '1.3.0' } })
    expect(await a.getValue(key)).toEqual({ refs: { latest: '1.3.0' } })
    await b.deleteValue(key)
    expect(await a.getValue(key)).toBeNull()
    // They live in Redis, not in either local folder.
    await a.setValue(key, 'kept in redis')
    expect(await redis.get(`${machines.prefix}value:${key}`)).toBe('"kept in redis"')
    expect(await a.local.getValue(key)).toBeNull()
  })

  it('a value with a ttl expires for every machine', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const key = `meta-gen:${randomBytes(4).toString('hex')}`
    await a.setValue(key, 'generation-1', { ttl: 0.5 })
    expect(await b.getValue(key)).toBe('generation-1')
    await delay(700)
    expect(await b.getValue(key)).toBeNull()
    expect(await a.getValue(key)).toBeNull()
  })

  it('refuses values that are not JSON and ttls that are not positive', async () => {
    const a = await machines.machine()
    const failures = [a.setValue('k', undefined), a.setValue('k', 1n), a.setValue('k', 'v', { ttl: 0 }), a.setValue('k', 'v', { ttl: Number.NaN })]
    for (const failure of failures) {
      const error = await failure.then(() => null, (e: unknown) => e)
      expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true)
    }
  })
})

describe('clear', () => {
  it('removes the keys under its own prefix only, and keeps held locks', async () => {
    const prefix = machines.isolatedPrefix()
    const neighbour = machines.isolatedPrefix()
    const a = await machines.machine({ keyPrefix: prefix })
    const b = await machines.machine({ keyPrefix: prefix })
    await redis.set(`${neighbour}value:x`, '"not ours"')
    const bytes = randomBytes(100)
    await a.set(sha256(bytes), await stageFile(a, sha256(bytes), bytes))
    await a.setValue('alias', 'v1')
    const held = await b.lock('models/x')
    await a.clear()
    expect(await redis.keys(`${prefix}*`)).toEqual([`${prefix}lock:models/x`])
    expect(await redis.get(`${neighbour}value:x`)).toBe('"not ours"')
    await held.release()
    expect(await redis.keys(`${prefix}*`)).toEqual([])
  })
})

describe('plugin', () => {
  const folders: string[] = []
  afterEach(async () => {
    const { rm } = await import('node:fs/promises')
    await Promise.all(folders.splice(0).map((path) => rm(path, { recursive: true, force: true })))
  })

  it('is selected by CACHE_TYPE=RedisCache with REDIS_URL, and keeps its local tier in the cache folder', async () => {
    const home = await temporaryFolder('cache-redis-home')
    folders.push(home)
    const config = AssetConfig.load({ env: { CACHE_TYPE: 'RedisCache', REDIS_URL: SHARED_REDIS_URL, CACHE_TTL: '60', ASSETS_HOME: home }, cwd: home })
    const imported: string[] = []
    const logger = recordingLogger()
    const cache = await loadPlugin('cache', { ...config.cache, keyPrefix: machines.isolatedPrefix() }, config.pluginContext(logger), {
      importer: async (specifier) => {
        imported.push(specifier)
        return import('../src/index.js')
      },
    })
    try {
      expect(imported).toEqual(['@assets/cache-redis'])
      expect(cache).toBeInstanceOf(RedisCache)
      expect((cache as RedisCache).local.root).toBe(config.cacheDir)
      await cache.setValue('k', 'v')
      expect(await cache.getValue('k')).toBe('v')
      expect(logger.warnings).toEqual([])
    } finally {
      await cache.clear()
      await cache.close()
    }
  })

  it('checks its options and never echoes the URL, which may hold a password', async () => {
    const attempts = [
      () => createRedisCache({ url: 'http://user:topsecret@example.com', path: '/tmp/x' }),
      () => createRedisCache({ url: 'redis://:topsecret@[not-a-host', path: '/tmp/x' }),
      () => createRedisCache({ url: 'redis://:topsecret@127.0.0.1:6379' }),
      () => createRedisCache({ url: 'redis://:topsecret@127.0.0.1:6379', path: '/tmp/x', maxBlobBytes: -1 }),
    ]
    for (const attempt of attempts) {
      let error: unknown
      try {
        attempt()
      } catch (e) {
        error = e
      }
      expect(hasErrorCode(error, 'CONFIG_INVALID')).toBe(true)
      expect(JSON.stringify(error) + String(error)).not.toContain('topsecret')
    }
  })

  it('creating touches neither Redis nor the disk', async () => {
    const home = await temporaryFolder('cache-redis-home')
    folders.push(home)
    const logger = recordingLogger()
    const path = join(home, 'not-yet')
    const cache = createRedisCache({ url: `redis://127.0.0.1:${await freePort()}`, path }, { logger })
    await delay(100)
    expect(existsSync(path)).toBe(false)
    expect(logger.warnings).toEqual([])
    await cache.close()
  })
})
