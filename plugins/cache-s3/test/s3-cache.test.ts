import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { blobLocation, sha256 } from '@assets/core'
import { cacheSuite, freePort } from '@assets/testkit'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createS3Cache, lockFolder } from '../src/index.js'
import { listKeys, Machines, randomPrefix, rawClient, recordingLogger, stageFile, testOptions } from './fixtures/machines.js'

const machines = new Machines()

afterAll(async () => {
  await machines.cleanup()
})

describe('conformance', () => {
  cacheSuite(it, () => machines.machine({ prefix: randomPrefix('suite') }))
})

describe('content shared between machines', () => {
  it('serves a file set on one machine to another from the bucket, verified, without storage', async () => {
    const prefix = randomPrefix('share')
    const a = await machines.machine({ prefix })
    const b = await machines.machine({ prefix })
    const bytes = randomBytes(3 * 1024 * 1024)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    expect(await listKeys(prefix)).toContain(blobLocation(key))

    expect(await b.has(key)).toBe(true)
    const path = await b.get(key)
    expect(path?.startsWith(b.local.root)).toBe(true)
    expect((await readFile(path ?? '')).equals(bytes)).toBe(true)
    expect(await b.stats()).toMatchObject({ hits: 1, misses: 0, entries: 1, s3: { hits: 1 } })
  })

  it('keeps bytes that do not hash to their key out of the bucket', async () => {
    const prefix = randomPrefix('wrong')
    const a = await machines.machine({ prefix })
    const key = sha256(randomBytes(100))
    await a.set(key, await stageFile(a, key, 'not those bytes'))
    expect(await listKeys(prefix)).toEqual([])
  })

  it('discards a damaged copy in the bucket and reports a miss', async () => {
    const prefix = randomPrefix('damaged')
    const logger = recordingLogger()
    const b = await machines.machine({ prefix }, logger)
    const key = sha256(randomBytes(1000))
    const client = rawClient()
    try {
      await client.send(new PutObjectCommand({ Bucket: inject('s3').bucket, Key: `${prefix}${blobLocation(key)}`, Body: randomBytes(1000) }))
    } finally {
      client.destroy()
    }
    expect(await b.get(key)).toBeNull()
    expect(await listKeys(prefix)).toEqual([])
    expect(logger.warnings.join('\n')).toContain(`discarded ${key}`)
  })

  it('shares values between machines, with their ttl', async () => {
    const prefix = randomPrefix('values')
    const a = await machines.machine({ prefix })
    const b = await machines.machine({ prefix })
    await a.setValue('gen:team/x', 'one')
    expect(await b.getValue('gen:team/x')).toBe('one')
    await b.setValue('gen:team/x', 'two')
    expect(await a.getValue('gen:team/x')).toBe('two')
    await a.deleteValue('gen:team/x')
    expect(await b.getValue('gen:team/x')).toBeNull()
  })
})

describe('prune', () => {
  it('deletes the oldest blobs beyond sharedMaxBytes, and blobs older than sharedMaxAgeHours', async () => {
    const prefix = randomPrefix('prune')
    const a = await machines.machine({ prefix })
    const keys: string[] = []
    for (let i = 0; i < 3; i++) {
      const bytes = randomBytes(1000)
      keys.push(sha256(bytes))
      await a.set(sha256(bytes), await stageFile(a, sha256(bytes), bytes))
      // S3 keeps modification times to the second: one second apart, the order is unambiguous.
      await new Promise((resolve) => setTimeout(resolve, 1100))
    }
    const budget = await machines.machine({ prefix, sharedMaxBytes: 2000 })
    // Local tier of `budget` is empty: everything removed is in the bucket.
    expect(await budget.prune()).toEqual({ removed: 1, freedBytes: 1000 })
    expect(await listKeys(prefix)).toEqual(keys.slice(1).map((key) => blobLocation(key as `sha256:${string}`)).sort())
    const aged = await machines.machine({ prefix, sharedMaxAgeHours: 1 / 3_600_000 })
    expect(await aged.prune()).toEqual({ removed: 2, freedBytes: 2000 })
    expect(await listKeys(`${prefix}blobs/`)).toEqual([])
  })
})

describe('locks across machines', () => {
  it('a second machine waits for the first to release the lock of a key', async () => {
    const prefix = randomPrefix('lock')
    const a = await machines.machine({ prefix })
    const b = await machines.machine({ prefix })
    const key = sha256(randomBytes(10))
    const first = await a.lock(key)
    let secondHeld = false
    const second = b.lock(key).then((lock) => {
      secondHeld = true
      return lock
    })
    // b polls the bucket a few times meanwhile; still waiting while a holds the lock.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(secondHeld).toBe(false)
    await first.release()
    await (await second).release()
    expect(secondHeld).toBe(true)
  })

  it('a waiting machine stops waiting once the blob is in the bucket, and reads it from there', async () => {
    const prefix = randomPrefix('gave-up')
    const a = await machines.machine({ prefix })
    const b = await machines.machine({ prefix })
    const bytes = randomBytes(2000)
    const key = sha256(bytes)
    const first = await a.lock(key)
    const second = b.lock(key)
    await a.set(key, await stageFile(a, key, bytes))
    // a still holds its lock: b goes ahead only because the blob it waited for is there.
    const lock = await second
    expect((await readFile((await b.get(key)) ?? '')).equals(bytes)).toBe(true)
    await lock.release()
    await first.release()
  })

  it('the lock of a killed worker is taken over once its heartbeat stops, never left behind', async () => {
    const prefix = randomPrefix('killed')
    const key = sha256(randomBytes(10))
    const options = { ...testOptions({ prefix, lockTtlMs: 1000 }), path: await machines.folder() }
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/hold-lock.mjs', import.meta.url)), JSON.stringify(options), key], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const [line] = (await once(child.stdout, 'data')) as [Buffer]
    expect(line.toString()).toBe('held\n')
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
    const logger = recordingLogger()
    const b = await machines.machine({ prefix, lockTtlMs: 1000 }, logger)
    const lock = await b.lock(key)
    expect(logger.warnings.join('\n')).toContain('took over a lock')
    await lock.release()
    // The dead worker's generation is deleted by the next holder after it; at most two remain.
    const again = await b.lock(key)
    await again.release()
    expect((await listKeys(`${prefix}${lockFolder(key)}`)).length).toBeLessThanOrEqual(2)
  })
})

describe('without the bucket', () => {
  it('answers from the local tier alone, with one warning, when the bucket cannot be reached', async () => {
    const logger = recordingLogger()
    // Nothing listens on that port: every request fails at once, as when the store is down.
    const cache = await machines.machine({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 }, logger)
    const bytes = randomBytes(100)
    const key = sha256(bytes)
    const lock = await cache.lock(key)
    expect(await cache.get(key)).toBeNull()
    const path = await cache.set(key, await stageFile(cache, key, bytes))
    await lock.release()
    expect(await cache.get(key)).toBe(path)
    await cache.setValue('gen:k', 'one')
    expect(await cache.getValue('gen:k')).toBe('one')
    await cache.deleteValue('gen:k')
    expect(await cache.getValue('gen:k')).toBeNull()
    expect(logger.warnings.filter((warning) => warning.includes('the bucket is unavailable'))).toHaveLength(1)
  })
})

describe('options', () => {
  it('refuses a plain http:// endpoint unless insecure storage is allowed, as the S3 storage does', async () => {
    const path = await machines.folder()
    expect(() => createS3Cache({ ...testOptions(), path })).toThrow(/ALLOW_INSECURE_STORAGE|insecure/i)
  })

  it('keeps its objects under its own prefix, assets-cache/ by default', async () => {
    const path = await machines.folder()
    const cache = createS3Cache({ ...testOptions(), prefix: undefined, path }, { allowInsecureStorage: true })
    const bytes = randomBytes(64)
    const key = sha256(bytes)
    try {
      await cache.set(key, await stageFile(cache, key, bytes))
      expect(await listKeys('assets-cache/')).toContain(blobLocation(key))
    } finally {
      await cache.delete(key)
      await cache.close()
    }
  })
})
