import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { Value } from '@assets/core'
import { afterEach, describe, expect, it } from 'vitest'
import plugin, { createLocalCache, type LocalCache, type LocalCacheOptions } from '../src/index.js'

let root = ''
const opened: LocalCache[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()))
  if (root !== '') await rm(root, { recursive: true, force: true })
  root = ''
})

async function cacheOnNewRoot(options: Omit<LocalCacheOptions, 'path'> = {}): Promise<LocalCache> {
  root = await temporaryFolder('cache-local-disk')
  return open(options)
}

function open(options: Omit<LocalCacheOptions, 'path'> = {}): LocalCache {
  const cache = createLocalCache({ path: root, ...options })
  opened.push(cache)
  return cache
}

async function put(cache: LocalCache, key: string, bytes: Uint8Array | string): Promise<string> {
  const staged = cache.stagingPath(key)
  await writeFile(staged, bytes)
  return cache.set(key, staged)
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('size limit', () => {
  it('set evicts least recently used entries to stay under maxBytes', async () => {
    const cache = await cacheOnNewRoot({ maxBytes: 2500 })
    for (const key of ['a', 'b', 'c']) {
      await put(cache, key, randomBytes(1000))
      await pause(20)
    }
    expect(await cache.has('a')).toBe(false)
    expect(await cache.has('b')).toBe(true)
    expect(await cache.has('c')).toBe(true)
    expect(await cache.stats()).toMatchObject({ entries: 2, bytes: 2000, maxBytes: 2500 })
  })

  it('keeps an entry larger than maxBytes on its own, since its caller needs it', async () => {
    const cache = await cacheOnNewRoot({ maxBytes: 1500 })
    await put(cache, 'small', randomBytes(1000))
    const big = await put(cache, 'big', randomBytes(3000))
    expect(await cache.get('big')).toBe(big)
    expect(await cache.has('small')).toBe(false)
  })
})

describe('entries on disk', () => {
  it('makes entry files read-only and keeps a file extension', async () => {
    const cache = await cacheOnNewRoot()
    const folder = join(root, 'incoming')
    await mkdir(join(folder, 'model', 'weights'), { recursive: true })
    await writeFile(join(folder, 'pbmc3k.h5ad'), 'h5ad bytes')
    await writeFile(join(folder, 'model', 'weights', 'part-0'), 'weights')
    const file = await cache.set('datasets/pbmc3k', join(folder, 'pbmc3k.h5ad'))
    const model = await cache.set('models/scgpt', join(folder, 'model'))
    expect(file.endsWith('.h5ad')).toBe(true)
    expect((await stat(file)).mode & 0o222).toBe(0)
    expect((await stat(join(model, 'weights', 'part-0'))).mode & 0o222).toBe(0)
  })

  it('answers a warm get in well under 5 ms', async () => {
    const cache = await cacheOnNewRoot()
    const key = sha256('warm')
    await put(cache, key, randomBytes(1 << 20))
    await cache.get(key)
    const rounds = 200
    const started = performance.now()
    for (let i = 0; i < rounds; i += 1) await cache.get(key)
    expect((performance.now() - started) / rounds).toBeLessThan(5)
  })

  it('treats an unreadable record as a miss, and a new set repairs the entry', async () => {
    const cache = await cacheOnNewRoot()
    const path = await put(cache, 'k', 'bytes')
    await writeFile(join(path, '..', 'entry.json'), '{ not json')
    expect(await cache.get('k')).toBeNull()
    const again = await put(cache, 'k', 'bytes again')
    expect(await cache.get('k')).toBe(again)
  })

  it('readers never miss while another instance keeps replacing the same entry', async () => {
    const writer = await cacheOnNewRoot()
    const reader = open()
    await put(writer, 'k', 'version 0')
    let writing = true
    const writes = (async () => {
      for (let i = 1; i <= 30; i += 1) await put(writer, 'k', `version ${i}`)
      writing = false
    })()
    let reads = 0
    while (writing) {
      expect(await reader.get('k')).not.toBeNull()
      reads += 1
    }
    await writes
    expect(reads).toBeGreaterThan(0)
  })

  it('instances over the same folder share entries, values and staging paths', async () => {
    const first = await cacheOnNewRoot()
    const second = open()
    expect(second.stagingPath('sha256:abc')).toBe(first.stagingPath('sha256:abc'))
    const path = await put(first, 'shared', 'bytes')
    await first.setValue('alias', { version: '2.0.0' })
    expect(await second.get('shared')).toBe(path)
    expect(await second.getValue('alias')).toEqual({ version: '2.0.0' })
  })

  it('setValue without a ttl uses defaultTtl', async () => {
    const cache = await cacheOnNewRoot({ defaultTtl: 0.2 })
    await cache.setValue('alias', 'v1')
    await cache.setValue('pinned', 'v1', { ttl: 60 })
    expect(await cache.getValue('alias')).toBe('v1')
    await pause(350)
    expect(await cache.getValue('alias')).toBeNull()
    expect(await cache.getValue('pinned')).toBe('v1')
  })

  it('does not list expired entries', async () => {
    const cache = await cacheOnNewRoot()
    const staged = cache.stagingPath('short')
    await writeFile(staged, 'x')
    await cache.set('short', staged, { ttl: 0.1 })
    await put(cache, 'long', 'y')
    await pause(200)
    const keys: string[] = []
    for await (const entry of cache.list()) keys.push(entry.key)
    expect(keys).toEqual(['long'])
  })
})

describe('maintenance', () => {
  it('prune removes staging leftovers older than a day and keeps recent ones', async () => {
    const cache = await cacheOnNewRoot()
    const abandoned = cache.stagingPath('abandoned')
    const active = cache.stagingPath('active')
    await writeFile(abandoned, 'partial')
    await writeFile(active, 'partial')
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000)
    await utimes(abandoned, twoDaysAgo, twoDaysAgo)
    await cache.prune()
    expect(existsSync(abandoned)).toBe(false)
    expect(existsSync(active)).toBe(true)
  })

  it('verify checks folder entries and non-content files against their recorded sizes', async () => {
    const cache = await cacheOnNewRoot()
    const folder = cache.stagingPath('models/a')
    await mkdir(join(folder, 'sub'), { recursive: true })
    await writeFile(join(folder, 'sub', 'weights'), randomBytes(1000))
    const model = await cache.set('models/a', folder)
    const note = await put(cache, 'notes/b', 'twelve bytes')
    await put(cache, 'notes/c', 'intact')
    for (const path of [join(model, 'sub', 'weights'), note]) {
      await rm(path)
      await writeFile(path, 'short')
    }
    const result = await cache.verify()
    expect(result.checked).toBe(3)
    expect(result.removed.sort()).toEqual(['models/a', 'notes/b'])
    expect(await cache.has('notes/c')).toBe(true)
  })

  it('a large folder is sampled on get (folderCheck: sample) but verify checks every file', async () => {
    const cache = await cacheOnNewRoot({ folderCheck: 'sample' })
    const folder = cache.stagingPath('zarr/store')
    await mkdir(folder, { recursive: true })
    for (let i = 0; i < 500; i++) await writeFile(join(folder, `chunk.${String(i).padStart(3, '0')}`), `c${i}`)
    const entry = await cache.set('zarr/store', folder)
    // A file outside get's sample of 64 (sampled every 500/64 files: index 1 is never one).
    const unsampled = join(entry, 'chunk.001')
    await rm(unsampled)
    await writeFile(unsampled, 'edited')
    expect(await cache.get('zarr/store')).toBe(entry)
    const result = await cache.verify()
    expect(result.removed).toEqual(['zarr/store'])
    expect(await cache.get('zarr/store')).toBeNull()
  })

  it('clear leaves no entries, values or staging behind', async () => {
    const cache = await cacheOnNewRoot()
    await put(cache, 'k', 'bytes')
    await cache.setValue('v', 1)
    await cache.clear()
    expect((await readdir(root)).filter((name) => name !== 'locks')).toEqual([])
  })
})

describe('the plugin', () => {
  it('is a cache plugin named local whose options need a path', () => {
    expect(plugin).toMatchObject({ kind: 'cache', name: 'local', specificationVersion: 1 })
    expect(Value.Check(plugin.options, { path: '/var/cache/assets' })).toBe(true)
    expect(Value.Check(plugin.options, { path: '/c', maxBytes: 1e9, staleLockMs: 1000, defaultTtl: 30 })).toBe(true)
    expect(Value.Check(plugin.options, {})).toBe(false)
    expect(Value.Check(plugin.options, { path: '/c', maxBytes: -1 })).toBe(false)
    expect(Value.Check(plugin.options, { path: '/c', folderCheck: 'all' })).toBe(true)
    expect(Value.Check(plugin.options, { path: '/c', folderCheck: 'every' })).toBe(false)
  })

  it('creating a cache touches nothing', async () => {
    root = await temporaryFolder('cache-local-disk')
    const path = join(root, 'not', 'yet')
    const cache = plugin.create({ path }, { dataDir: root, cacheDir: root, allowInsecureStorage: false, logger: { warn: () => {} }, env: {} })
    expect(existsSync(path)).toBe(false)
    expect(await cache.get('k')).toBeNull()
    expect(await cache.stats()).toMatchObject({ entries: 0, bytes: 0, hits: 0, misses: 1 })
    expect(existsSync(path)).toBe(false)
    await cache.close()
  })
})
