import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { AssetConfig, hasErrorCode, loadPlugin, sha256 } from '@assets/core'
import { cacheSuite, freePort, temporaryFolder } from '@assets/testkit'
import type { Client } from 'memjs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMemcachedCache, MemcachedCache } from '../src/index.js'
import { Machines, rawClient, recordingLogger, stageFile, stageFolder } from './fixtures/machines.js'
import { OwnMemcachedServer } from './fixtures/memcached-server.js'

let server: OwnMemcachedServer
let raw: Client
const machines = new Machines(() => server.servers)
const itemKey = (kind: string, key: string) => `${machines.prefix}${kind}:${createHash('sha256').update(key).digest('hex')}`

beforeAll(async () => {
  server = await OwnMemcachedServer.start()
  raw = rawClient(server.servers)
})

afterAll(async () => {
  await machines.cleanup()
  raw?.close()
  await server?.stop()
})

describe('conformance', () => {
  cacheSuite(it, () => machines.machine({ keyPrefix: machines.isolatedPrefix() }))
})

describe('blobs shared between machines', () => {
  it('serves a small file set on one machine to another from memcached, verified, without storage', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const bytes = randomBytes(50_000)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    expect((await raw.get(itemKey('blob', key))).value?.length).toBeGreaterThan(50_000)

    expect(await b.has(key)).toBe(true)
    const path = await b.get(key)
    expect(path?.startsWith(b.local.root)).toBe(true)
    expect((await readFile(path ?? '')).equals(bytes)).toBe(true)
    // Now in b's own local tier: served from there even once memcached has lost it.
    await raw.delete(itemKey('blob', key))
    expect(await b.get(key)).toBe(path)
    expect(await b.stats()).toMatchObject({ hits: 2, misses: 0, entries: 1, bytes: 50_000, memcached: { available: true, hits: 1 } })
  })

  it('keeps files larger than maxBlobBytes, and folders, on their own machine', async () => {
    const a = await machines.machine({ maxBlobBytes: 1000 })
    const b = await machines.machine({ maxBlobBytes: 1000 })
    const large = randomBytes(5000)
    const key = sha256(large)
    await a.set(key, await stageFile(a, key, large))
    expect((await raw.get(itemKey('blob', key))).value).toBeNull()
    expect(await b.get(key)).toBeNull()
    expect(await b.has(key)).toBe(false)
    const folderKey = `folder:${sha256(randomBytes(8))}`
    await a.set(folderKey, await stageFolder(a, folderKey, { 'config.json': '0123456789', 'weights/part-0': randomBytes(20) }))
    expect(await b.get(folderKey)).toBeNull()
    expect(await a.get(folderKey)).not.toBeNull()
  })

  it('a file over the server\'s item size (1 MiB) with a maxBlobBytes above it is refused by memcached with one warning, and stays local', async () => {
    const logger = recordingLogger()
    const a = await machines.machine({ maxBlobBytes: 4 * 1024 * 1024 }, logger)
    const b = await machines.machine()
    for (const size of [1.5, 2]) {
      const bytes = randomBytes(size * 1024 * 1024)
      await a.set(sha256(bytes), await stageFile(a, sha256(bytes), bytes))
      expect(await b.get(sha256(bytes))).toBeNull()
      expect(await a.get(sha256(bytes))).not.toBeNull()
    }
    expect(logger.warnings).toEqual([expect.stringContaining('refused storing')])
    expect((await a.stats()).memcached.available).toBe(true)
  })

  it('keeps entries under other keys, and bytes that do not match their key, on their own machine', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    await a.set('models/x@1.0.0', await stageFile(a, 'models/x@1.0.0', 'machine-local'))
    const claimed = sha256('what the registry says')
    await a.set(claimed, await stageFile(a, claimed, 'something else'))
    expect(await b.get('models/x@1.0.0')).toBeNull()
    expect(await b.get(claimed)).toBeNull()
    expect((await raw.get(itemKey('blob', claimed))).value).toBeNull()
  })

  it('discards a blob in memcached whose bytes do not match its digest, and reports a miss', async () => {
    const logger = recordingLogger()
    const a = await machines.machine()
    const b = await machines.machine({}, logger)
    const bytes = randomBytes(100)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    const item = (await raw.get(itemKey('blob', key))).value as Buffer
    item[item.length - 1] = (item[item.length - 1] ?? 0) ^ 1
    await raw.set(itemKey('blob', key), item)
    expect(await b.get(key)).toBeNull()
    expect((await raw.get(itemKey('blob', key))).value).toBeNull()
    expect(logger.warnings).toEqual([expect.stringContaining(`discarded ${key} from memcached`)])
    expect(await b.local.has(key)).toBe(false)
  })

  it('delete removes the shared copy too', async () => {
    const [a, b, c] = [await machines.machine(), await machines.machine(), await machines.machine()]
    const bytes = randomBytes(500)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    await b.delete(key)
    expect(await c.get(key)).toBeNull()
  })

  it('an entry set with a ttl expires from memcached and from the copies made of it', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const bytes = randomBytes(500)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes), { ttl: 0.6 })
    expect(await b.get(key)).not.toBeNull()
    await delay(800)
    expect(await b.get(key)).toBeNull()
    expect(await a.get(key)).toBeNull()
  })

  it('the lock on a blob holds across machines; content memcached does not keep takes the local lock alone', async () => {
    const a = await machines.machine({ maxBlobBytes: 1000 })
    const b = await machines.machine({ maxBlobBytes: 1000 })
    const key = sha256(randomBytes(16))
    const held = await a.lock(key)
    let bHeld = false
    const waiting = b.lock(key).then((lock) => {
      bHeld = true
      return lock
    })
    await delay(300)
    expect(bHeld).toBe(false)
    // a fetched it, and it is too large to share: b stops waiting as soon as a records that.
    const large = randomBytes(5000)
    await a.set(key, await stageFile(a, key, large))
    await (await waiting).release()
    expect(bHeld).toBe(true)
    await held.release()
    const next = await b.lock(key)
    const other = await a.lock(key)
    await other.release()
    await next.release()
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
    await a.setValue(key, 'kept in memcached')
    expect(await a.local.getValue(key)).toBeNull()
    expect((await raw.get(itemKey('value', key))).value?.toString()).toMatch(/\n"kept in memcached"$/)
  })

  it('keys of any length and character fit memcached\'s 250-byte keys, hashed', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const key = `meta:${'a very long key with spaces and ünïcödé / '.repeat(20)}`
    await a.setValue(key, 'long')
    expect(await b.getValue(key)).toBe('long')
    expect(itemKey('value', key).length).toBeLessThanOrEqual(250)
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

  it('a value larger than memcached\'s item size is not stored, and the older copy is not served either', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const key = `meta:${randomBytes(4).toString('hex')}`
    await a.setValue(key, { small: true })
    await a.setValue(key, { huge: 'x'.repeat(2 * 1024 * 1024) })
    expect(await b.getValue(key)).toBeNull()
  })

  it('refuses values that are not JSON and ttls that are not positive', async () => {
    const a = await machines.machine()
    const failures = [a.setValue('k', undefined), a.setValue('k', 1n), a.setValue('k', 'v', { ttl: 0 }), a.setValue('k', 'v', { ttl: Number.NaN })]
    for (const failure of failures) {
      const error = await failure.then(
        () => null,
        (e: unknown) => e,
      )
      expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true)
    }
  })
})

describe('clear', () => {
  it('hides everything written under its prefix from every machine, keeps held locks, and leaves other prefixes alone', async () => {
    const prefix = machines.isolatedPrefix()
    const a = await machines.machine({ keyPrefix: prefix })
    const b = await machines.machine({ keyPrefix: prefix })
    const neighbour = await machines.machine({ keyPrefix: machines.isolatedPrefix() })
    await neighbour.setValue('x', 'not ours')
    const bytes = randomBytes(100)
    await a.set(sha256(bytes), await stageFile(a, sha256(bytes), bytes))
    await a.setValue('alias', 'v1')
    const blobKey = sha256(randomBytes(8))
    const held = await b.lock(blobKey)
    await a.clear()
    expect(await b.getValue('alias')).toBeNull()
    expect(await b.get(sha256(bytes))).toBeNull()
    expect(await neighbour.getValue('x')).toBe('not ours')
    const lockKey = `${prefix}lock:${createHash('sha256').update(blobKey).digest('hex')}`
    expect((await raw.get(lockKey)).value).not.toBeNull()
    await held.release()
    expect((await raw.get(lockKey)).value).toBeNull()
    await a.setValue('alias', 'v2')
    expect(await b.getValue('alias')).toBe('v2')
  })
})

describe('plugin', () => {
  const folders: string[] = []
  afterEach(async () => {
    await Promise.all(folders.splice(0).map((path) => rm(path, { recursive: true, force: true })))
  })

  it('is selected by CACHE_TYPE=Memcached with MEMCACHED_SERVERS, and keeps its local tier in the cache folder', async () => {
    const home = await temporaryFolder('cache-memcached-home')
    folders.push(home)
    const env = { CACHE_TYPE: 'Memcached', MEMCACHED_SERVERS: server.servers, MEMCACHED_USERNAME: 'alice', MEMCACHED_PASSWORD: 'topsecret', ASSETS_HOME: home }
    const config = AssetConfig.load({ env, cwd: home })
    expect(config.cache).toMatchObject({ type: 'memcached', servers: server.servers, username: 'alice', password: 'topsecret' })
    expect(JSON.stringify(config)).not.toContain('topsecret')
    const imported: string[] = []
    const logger = recordingLogger()
    // This server runs without SASL (see memcached-faults.test.ts for one that does).
    const { username: _u, password: _p, ...withoutSasl } = config.cache
    const cache = await loadPlugin('cache', { ...withoutSasl, keyPrefix: machines.isolatedPrefix() }, config.pluginContext(logger), {
      importer: async (specifier) => {
        imported.push(specifier)
        return import('../src/index.js')
      },
    })
    try {
      expect(imported).toEqual(['@assets/cache-memcached'])
      expect(cache).toBeInstanceOf(MemcachedCache)
      expect((cache as MemcachedCache).local.root).toBe(config.cacheDir)
      await cache.setValue('k', 'v')
      expect(await cache.getValue('k')).toBe('v')
      expect(logger.warnings).toEqual([])
    } finally {
      await cache.clear()
      await cache.close()
    }
  })

  it('checks its options and never echoes the password', async () => {
    const attempts = [
      () => createMemcachedCache({ servers: 'alice:topsecret@127.0.0.1:11211', path: '/tmp/x' }),
      () => createMemcachedCache({ servers: '127.0.0.1:99999', path: '/tmp/x' }),
      () => createMemcachedCache({ servers: '127.0.0.1:11211,', path: '/tmp/x' }),
      () => createMemcachedCache({ servers: '127.0.0.1', password: 'topsecret', path: '/tmp/x' }),
      () => createMemcachedCache({ servers: '127.0.0.1', username: 'alice', password: 'topsecret' }),
      () => createMemcachedCache({ servers: '127.0.0.1', username: 'alice', password: 'topsecret', path: '/tmp/x', maxBlobBytes: -1 }),
      () => createMemcachedCache({ servers: '127.0.0.1', path: '/tmp/x', keyPrefix: 'has space' }),
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

  it('creating touches neither memcached nor the disk', async () => {
    const home = await temporaryFolder('cache-memcached-home')
    folders.push(home)
    const logger = recordingLogger()
    const path = join(home, 'not-yet')
    const cache = createMemcachedCache({ servers: `127.0.0.1:${await freePort()}`, path }, { logger })
    await delay(100)
    expect(existsSync(path)).toBe(false)
    expect(logger.warnings).toEqual([])
    await cache.close()
  })
})
