import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UploadMemory } from '../src/upload-memory.js'
import { type FaultProxy, startFaultProxy } from './fixtures/fault-proxy.js'
import { readAll, server, testStorage } from './fixtures/s3-server.js'

const MiB = 1024 * 1024
const PART = 5 * MiB

async function fileOf(bytes: Uint8Array, name = 'source.bin'): Promise<string> {
  const path = join(await temporaryFolder('s3-mem'), name)
  await writeFile(path, bytes)
  return path
}

/** Fails the test instead of hanging it when an upload never gets room (leaked buffers). */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('UploadMemory: the part budget itself', () => {
  it('grants in arrival order, and a cancelled wait gives up its place without taking anything', async () => {
    const memory = new UploadMemory(10, 5)
    await memory.acquire(5)
    await memory.acquire(5)
    const order: string[] = []
    const big = memory.acquire(10).then(() => order.push('big'))
    const cancel = new AbortController()
    const cancelled = memory.acquire(5, cancel.signal).catch((error: unknown) => {
      order.push('cancelled')
      throw error
    })
    const small = memory.acquire(5).then(() => order.push('small'))
    // A small grant that would fit after one release still waits behind the big one.
    memory.release(5)
    await tick()
    expect(order).toEqual([])
    cancel.abort()
    await expect(cancelled).rejects.toThrow()
    memory.release(5)
    await big
    expect(memory.stats).toMatchObject({ inUse: 10, waiting: 1 })
    memory.release(10)
    await small
    expect(order).toEqual(['cancelled', 'big', 'small'])
    memory.release(5)
    expect(memory.stats).toMatchObject({ inUse: 0, peak: 10, waiting: 0 })
  })

  it('a lease gives back what its upload still holds when it ends', async () => {
    const memory = new UploadMemory(10, 5)
    const lease = memory.lease()
    await lease.buffer(5)
    const given = await lease.buffer(5)
    const next = memory.acquire(5)
    lease.close()
    await next
    // Gives after the end are ignored, so nothing is returned twice.
    lease.give(given)
    expect(memory.stats.inUse).toBe(5)
  })
})

describe('S3 uploads share one budget of part buffers', () => {
  let proxy: FaultProxy
  beforeAll(async () => {
    proxy = await startFaultProxy(server().endpoint)
  })
  afterAll(() => proxy.close())

  it('uploads at once hold at most the budget in parts, take turns, and store every byte', async () => {
    proxy.partsInFlight.peak = 0
    proxy.holdParts(200)
    // Room for two parts, against four uploads of concurrency 4: a limit per upload would let
    // 8 to 16 parts fly at once.
    const storage = await testStorage({ concurrency: 4, uploadMemoryBytes: 2 * PART }, proxy.endpoint)
    const sources = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const bytes = randomBytes(3 * PART + 123 + i)
        return { bytes, path: await fileOf(bytes, `source-${i}.bin`), location: `shared/${i}.bin` }
      }),
    )
    const started = proxy.requests.length
    const results = await within(
      90_000,
      'four uploads',
      Promise.all(sources.map(({ bytes, path, location }) => storage.upload(location, path, { digest: sha256(bytes) }))),
    )
    proxy.holdParts(0)
    for (const [i, { bytes }] of sources.entries()) expect(results[i]).toMatchObject({ size: bytes.length, digest: sha256(bytes) })
    for (const { bytes, location } of sources) expect(sha256(await readAll(storage.open(location)))).toBe(sha256(bytes))
    expect(proxy.partsInFlight.peak).toBe(2)
    expect(storage.uploadMemory.peak).toBeLessThanOrEqual(2 * PART)
    expect(storage.uploadMemory).toMatchObject({ capacity: 2 * PART, inUse: 0, waiting: 0 })
    // First come, first served: every upload had a part sent before any upload sent its last.
    const parts = proxy.requests.slice(started).filter((r) => r.method === 'PUT' && /[?&]partNumber=/.test(r.path))
    const keyOf = (path: string) => /shared\/(\d)\.bin/.exec(path)?.[1]
    const firsts = sources.map((_, i) => parts.findIndex((r) => keyOf(r.path) === String(i)))
    const lasts = sources.map((_, i) => parts.findLastIndex((r) => keyOf(r.path) === String(i)))
    expect(Math.max(...firsts)).toBeLessThan(Math.min(...lasts))
    await storage.close()
  })

  it('stream uploads share it too, and one part and a byte more tell a PUT from a multipart upload', async () => {
    proxy.partsInFlight.peak = 0
    proxy.holdParts(200)
    const storage = await testStorage({ concurrency: 4, uploadMemoryBytes: 2 * PART }, proxy.endpoint)
    async function* chunks(bytes: Buffer): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024)
    }
    const sizes = [3 * PART + 5, 2 * PART + 64 * 1024, PART, PART + 1]
    const sources = sizes.map((size) => randomBytes(size))
    const started = proxy.requests.length
    const results = await within(
      90_000,
      'four stream uploads',
      Promise.all(sources.map((bytes, i) => storage.upload(`streams/${i}.bin`, chunks(bytes), { digest: sha256(bytes), size: bytes.length }))),
    )
    proxy.holdParts(0)
    expect(results.map((r) => r.digest)).toEqual(sources.map((b) => sha256(b)))
    for (const [i, bytes] of sources.entries()) expect(sha256(await readAll(storage.open(`streams/${i}.bin`)))).toBe(sha256(bytes))
    expect(proxy.partsInFlight.peak).toBeLessThanOrEqual(2)
    expect(storage.uploadMemory).toMatchObject({ inUse: 0, waiting: 0 })
    const partsOf = (i: number) => proxy.requests.slice(started).filter((r) => r.path.includes(`streams/${i}.bin`) && /[?&]partNumber=/.test(r.path)).length
    expect(sizes.map((_, i) => partsOf(i))).toEqual([4, 3, 0, 2])
    // A stream longer than it was declared is refused before anything is stored.
    await expect(storage.upload('streams/liar.bin', chunks(randomBytes(1000)), { size: 999 })).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
    expect(await storage.stat('streams/liar.bin')).toBeNull()
    expect(storage.uploadMemory.inUse).toBe(0)
    await storage.close()
  })

  it('a single upload still runs at its full concurrency with the default budget', async () => {
    proxy.partsInFlight.peak = 0
    proxy.holdParts(200)
    const storage = await testStorage({ concurrency: 3 }, proxy.endpoint)
    const bytes = randomBytes(6 * PART)
    const result = await storage.upload('single.bin', await fileOf(bytes))
    proxy.holdParts(0)
    expect(result).toMatchObject({ size: bytes.length, digest: sha256(bytes) })
    expect(proxy.partsInFlight.peak).toBe(3)
    // The default is 2 × concurrency parts; one upload takes its parts in flight and one being read.
    expect(storage.uploadMemory.capacity).toBe(6 * PART)
    expect(storage.uploadMemory.peak).toBe(4 * PART)
    expect(storage.uploadMemory.inUse).toBe(0)
    await storage.close()
  })

  it('cancelled and failed uploads give their parts back, and the uploads waiting behind them proceed', async () => {
    proxy.holdParts(200)
    const storage = await testStorage({ concurrency: 2, uploadMemoryBytes: 2 * PART }, proxy.endpoint)
    const cancelledBytes = randomBytes(6 * PART)
    const waitingBytes = randomBytes(4 * PART + 7)
    const cancel = new AbortController()
    const seen = proxy.requests.length
    const cancelled = storage.upload('gone.bin', await fileOf(cancelledBytes), { signal: cancel.signal })
    // The second upload queues behind the first's parts; the first is cancelled with parts in flight.
    const waiting = storage.upload('after-cancel.bin', await fileOf(waitingBytes, 'waiting.bin'))
    while (!proxy.requests.slice(seen).some((r) => r.path.includes('gone.bin') && /[?&]partNumber=/.test(r.path))) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    cancel.abort()
    await expect(cancelled).rejects.toThrow()
    expect(await within(60_000, 'the upload behind a cancelled one', waiting)).toMatchObject({ digest: sha256(waitingBytes) })
    expect(storage.uploadMemory.inUse).toBe(0)

    // A stream that fails after two parts: the parts it had taken come back too.
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield randomBytes(PART)
      yield randomBytes(PART)
      yield randomBytes(PART)
      throw new Error('source lost')
    }
    await expect(storage.upload('broken.bin', broken())).rejects.toThrow(/source lost/)
    expect(storage.uploadMemory.inUse).toBe(0)

    // A part the server refuses (no retries left) while the next part is already read.
    const once = await testStorage({ concurrency: 2, uploadMemoryBytes: 2 * PART, maxAttempts: 1 }, proxy.endpoint)
    const refusedAt = proxy.requests.length
    const refused = once.upload('refused.bin', await fileOf(randomBytes(6 * PART), 'refused.bin'))
    while (!proxy.requests.slice(refusedAt).some((r) => /[?&]partNumber=/.test(r.path))) await new Promise((resolve) => setTimeout(resolve, 10))
    proxy.fail(1, 503)
    await expect(refused).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    expect(once.uploadMemory).toMatchObject({ inUse: 0, waiting: 0 })
    await once.close()
    proxy.holdParts(0)

    // With the whole budget free again, two more uploads at once fill it and finish.
    const more = [randomBytes(3 * PART), randomBytes(2 * PART + 1)]
    const done = await within(
      60_000,
      'uploads after a failure',
      Promise.all(more.map(async (bytes, i) => storage.upload(`after-failure-${i}.bin`, await fileOf(bytes, `more-${i}.bin`)))),
    )
    expect(done.map((r) => r.digest)).toEqual(more.map((b) => sha256(b)))
    expect(storage.uploadMemory).toMatchObject({ inUse: 0, waiting: 0 })
    await storage.close()
  })

  it('refuses a budget smaller than one part', async () => {
    await expect(testStorage({ uploadMemoryBytes: PART - 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/uploadMemoryBytes/) })
  })
})
