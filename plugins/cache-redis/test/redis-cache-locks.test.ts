import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { sha256 } from '@assets/core'
import type { RedisClientType } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Machines, rawClient, SHARED_REDIS_URL, stageFile } from './fixtures/shared-redis.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
let redis: RedisClientType
let machines = new Machines()

beforeAll(async () => {
  redis = await rawClient()
})

afterEach(async () => {
  await machines.cleanup(redis)
  machines = new Machines()
})

afterAll(async () => {
  await redis?.close()
})

interface WorkerReport {
  id: string
  how: 'hit' | 'waited' | 'downloaded'
  digest: string
  local: boolean
}

async function runWorker(args: string[]): Promise<WorkerReport> {
  const child = spawn(process.execPath, [join(fixtures, 'manager-get.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const [code] = await once(child, 'exit')
  // A warning would mean the worker ran without Redis, on its local tier alone.
  expect(stderr).toBe('')
  expect(code).toBe(0)
  return JSON.parse(stdout) as WorkerReport
}

/** Resolves to the elapsed milliseconds when `promise` settles. */
async function elapsed(promise: Promise<unknown>): Promise<number> {
  const start = Date.now()
  await promise
  return Date.now() - start
}

describe('single flight across machines', () => {
  it('six processes with their own local folders asking for the same uncached blob download it once', async () => {
    const storage = await machines.folder()
    const storageFile = join(storage, 'blob')
    const bytes = randomBytes(300_000)
    await writeFile(storageFile, bytes)
    const key = sha256(bytes)
    const log = join(storage, 'downloads.log')
    await writeFile(log, '')
    const startAt = Date.now() + 1500
    const workers = await Promise.all(
      Array.from({ length: 6 }, async (_, index) =>
        runWorker([SHARED_REDIS_URL, machines.prefix, await machines.folder(), key, storageFile, log, `worker-${index}`, String(startAt)]),
      ),
    )
    expect((await readFile(log, 'utf8')).trim().split('\n')).toHaveLength(1)
    expect(workers.filter((worker) => worker.how === 'downloaded')).toHaveLength(1)
    for (const worker of workers) expect(worker).toMatchObject({ digest: key, local: true })
  })

  it('a second machine waits for the holder and then finds the blob in Redis', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const bytes = randomBytes(1000)
    const key = sha256(bytes)
    const held = await a.lock(key)
    const waiting = b.lock(key)
    await delay(300)
    await a.set(key, await stageFile(a, key, bytes))
    await held.release()
    const lock = await waiting
    expect(await b.get(key)).not.toBeNull()
    await lock.release()
  })
})

describe('the Redis lock', () => {
  it('is renewed while held, so a slow holder keeps it past lockTtlMs', async () => {
    const a = await machines.machine({ lockTtlMs: 300 })
    const b = await machines.machine({ lockTtlMs: 300 })
    const held = await a.lock('models/slow')
    setTimeout(() => void held.release(), 1200)
    expect(await elapsed(b.lock('models/slow').then((lock) => lock.release()))).toBeGreaterThanOrEqual(1000)
  })

  it('expires after lockTtlMs when its holder vanished without releasing it', async () => {
    const b = await machines.machine({ lockTtlMs: 600 })
    await redis.set(`${machines.prefix}lock:models/crashed`, 'token of a dead worker', { PX: 600 })
    const waited = await elapsed(b.lock('models/crashed').then((lock) => lock.release()))
    expect(waited).toBeGreaterThanOrEqual(400)
    expect(waited).toBeLessThan(3000)
  })

  it('release deletes the lock only while it still holds its own token', async () => {
    const a = await machines.machine()
    const held = await a.lock('models/taken-over')
    const redisKey = `${machines.prefix}lock:models/taken-over`
    expect(await redis.get(redisKey)).toEqual(expect.any(String))
    // As if it had expired and another worker had taken it.
    await redis.set(redisKey, 'another worker')
    await held.release()
    expect(await redis.get(redisKey)).toBe('another worker')
  })

  it('a waiter on another machine gives up when its signal aborts, leaving the lock to its holder', async () => {
    const a = await machines.machine()
    const b = await machines.machine()
    const held = await a.lock('models/abort')
    const token = await redis.get(`${machines.prefix}lock:models/abort`)
    const error = await b.lock('models/abort', { signal: AbortSignal.timeout(200) }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error instanceof Error ? error.name : error).toMatch(/AbortError|TimeoutError/)
    expect(await redis.get(`${machines.prefix}lock:models/abort`)).toBe(token)
    await held.release()
    // The aborted waiter left its local lock free too.
    await (await b.lock('models/abort')).release()
  })

  it('does not hold other machines back for content that Redis does not keep', async () => {
    const a = await machines.machine({ maxBlobBytes: 100 })
    const b = await machines.machine({ maxBlobBytes: 100 })
    const bytes = randomBytes(1000)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    await redis.set(`${machines.prefix}lock:${key}`, 'a third machine, downloading', { PX: 30_000 })
    expect(await elapsed(b.lock(key).then((lock) => lock.release()))).toBeLessThan(500)
  })

  it('stops waiting as soon as the holder records content that Redis does not keep', async () => {
    const a = await machines.machine({ maxBlobBytes: 100 })
    const b = await machines.machine({ maxBlobBytes: 100 })
    const bytes = randomBytes(1000)
    const key = sha256(bytes)
    const held = await a.lock(key)
    setTimeout(() => void a.set(key, `${a.stagingPath(key)}`), 400)
    await stageFile(a, key, bytes)
    const waited = await elapsed(b.lock(key).then((lock) => lock.release()))
    expect(waited).toBeGreaterThanOrEqual(300)
    expect(waited).toBeLessThan(1500)
    await held.release()
  })
})
