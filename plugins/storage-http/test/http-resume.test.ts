import { randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHttpStorage, type HttpStorage } from '../src/index.js'
import { CuttingProxy } from './fixtures/cutting-proxy.js'
import { NginxServer } from './fixtures/nginx-server.js'
import { failureOf, LOOPBACK, readAll } from './fixtures/storage-context.js'

let nginx: NginxServer
let scratch: string
const opened: Array<{ stop?: () => Promise<void>; close?: () => Promise<void> }> = []
const SIZE = 4 << 20
const bytes = randomBytes(SIZE)

beforeAll(async () => {
  nginx = await NginxServer.start()
  scratch = await temporaryFolder('storage-http-resume')
})

afterEach(async () => {
  for (const thing of opened.splice(0)) await (thing.close ?? thing.stop)?.call(thing)
})

afterAll(async () => {
  await nginx?.stop()
  await rm(scratch, { recursive: true, force: true })
})

async function behindProxy(options: { cuts: number; cutAfterBytes: number }, retries = 4): Promise<{ proxy: CuttingProxy; storage: HttpStorage }> {
  const proxy = await CuttingProxy.start(nginx.httpPort, options)
  const storage = createHttpStorage({ baseUrl: `http://127.0.0.1:${proxy.port}/ro/`, retries, retryBaseDelayMs: 5 }, LOOPBACK)
  opened.push(storage, proxy)
  return { proxy, storage }
}

async function seeded(content: Uint8Array = bytes): Promise<string> {
  const location = `resume/${randomBytes(4).toString('hex')}.bin`
  await nginx.seed(location, content)
  return location
}

describe('connections cut mid-transfer', () => {
  it('a download resumes from the next missing byte and ends with the right digest, moving little more than the object', async () => {
    const location = await seeded()
    const { proxy, storage } = await behindProxy({ cuts: 3, cutAfterBytes: 1 << 20 })
    const destination = join(scratch, 'cut.bin')
    const result = await storage.download(location, destination, { digest: sha256(bytes) })
    expect(result).toEqual({ size: SIZE, digest: sha256(bytes) })
    expect(sha256(await readFile(destination))).toBe(sha256(bytes))
    expect(proxy.connections).toBe(4)
    // Each request after a cut asks only for the rest: one 200, then 206s (in any order in the
    // log: nginx logs a request when it ends, not when it begins).
    // One GET per connection: every one is waited for, a late-logged second 200 included.
    const statuses = (await nginx.requests(location, (lines) => lines.length >= proxy.connections)).map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toEqual([200])
    expect(statuses.filter((s) => s !== 200).every((s) => s === 206)).toBe(true)
    expect(statuses.length).toBeGreaterThan(1)
    expect(proxy.responseBytes).toBeLessThanOrEqual(SIZE * 1.05)
  })

  it('a download hashed on a worker thread resumes across cuts with the same digest', async () => {
    const location = await seeded()
    const { proxy, storage } = await behindProxy({ cuts: 2, cutAfterBytes: 1_500_000 })
    const destination = join(scratch, 'off-thread.bin')
    const result = await storage.download(location, destination, { digest: sha256(bytes), hashOffThreadBytes: 1 })
    expect(result).toEqual({ size: SIZE, digest: sha256(bytes) })
    expect(sha256(await readFile(destination))).toBe(sha256(bytes))
    expect(proxy.cutsDone).toBe(2)
  })

  it('a stream from open continues across cuts with the same bytes, ranges included', async () => {
    const location = await seeded()
    const { proxy, storage } = await behindProxy({ cuts: 2, cutAfterBytes: 700_000 })
    expect(sha256(await readAll(storage.open(location)))).toBe(sha256(bytes))
    expect(sha256(await readAll(storage.open(location, { start: 1000, end: SIZE - 1000 })))).toBe(sha256(bytes.subarray(1000, SIZE - 1000)))
    expect(proxy.cutsDone).toBe(2)
  })

  it('an object replaced between two tries fails with IntegrityError instead of splicing two versions', async () => {
    const location = await seeded()
    const { proxy, storage } = await behindProxy({ cuts: 1, cutAfterBytes: 1 << 20 })
    const path = join(nginx.root, 'data', 'ro', ...location.split('/'))
    proxy.onCut = () => {
      writeFileSync(`${path}.new`, randomBytes(SIZE + 1))
      renameSync(`${path}.new`, path)
    }
    const error = await failureOf(() => storage.download(location, join(scratch, 'changed.bin')))
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toMatch(/changed while it was being read/)
  })

  it('a read cut mid-way from a server without ETag or Last-Modified fails instead of resuming blind', async () => {
    // A bare server: no validators, and the first answer is cut after half the bytes.
    let requests = 0
    const { createServer: createHttpServer } = await import('node:http')
    const server = createHttpServer((_req, res) => {
      requests++
      res.writeHead(200, { 'content-length': String(bytes.length) })
      if (requests === 1) {
        res.write(bytes.subarray(0, bytes.length / 2), () => res.socket?.destroy())
        return
      }
      res.end(bytes)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    opened.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) })
    const storage = createHttpStorage({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, retries: 2, retryBaseDelayMs: 5 }, LOOPBACK)
    opened.push(storage)
    const error = await failureOf(() => readAll(storage.open('object.bin')))
    expect(error).toMatchObject({ code: 'INTEGRITY_ERROR', message: expect.stringMatching(/no ETag or Last-Modified/) })
    expect(requests).toBe(2)
  })

  it('a connection that drops before any byte gives up after the configured retries', async () => {
    const location = await seeded()
    const { proxy, storage } = await behindProxy({ cuts: 1000, cutAfterBytes: 1 }, 2)
    const error = await failureOf(() => storage.stat(location))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(proxy.connections).toBe(3)
  })
})

describe('retries and resumed files', () => {
  it('a server that accepts connections but never answers times out after readTimeoutMs, and is retried', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => {
      sockets.push(socket.on('error', () => {}))
    })
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    const { port } = silent.address() as AddressInfo
    const storage = createHttpStorage({ baseUrl: `http://127.0.0.1:${port}/`, readTimeoutMs: 300, retries: 1, retryBaseDelayMs: 5 }, LOOPBACK)
    opened.push(storage, {
      stop: async () => {
        for (const socket of sockets) socket.destroy()
        silent.close()
      },
    })
    const started = Date.now()
    const error = await failureOf(() => storage.stat('never/answered.bin'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(error.message).toMatch(/TIMEOUT/)
    expect(sockets.length).toBe(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)
  })

  it('retries a 503 with backoff as many times as configured, then fails with BackendUnavailableError', async () => {
    const storage = createHttpStorage({ baseUrl: nginx.url('flaky'), retries: 2, retryBaseDelayMs: 5 }, LOOPBACK)
    opened.push(storage)
    const error = await failureOf(() => storage.stat('some/object.bin'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(error.message).toMatch(/503/)
    expect((await nginx.requests('/flaky/some/object.bin', (lines) => lines.length >= 3)).length).toBe(3)
  })

  it('a resumed download given the expected digest hashes the part on disk and asks only for the rest', async () => {
    const location = await seeded()
    const { proxy, storage } = await behindProxy({ cuts: 0, cutAfterBytes: 0 })
    const destination = join(scratch, 'partial.bin')
    await writeFile(destination, bytes.subarray(0, 3_000_000))
    const result = await storage.download(location, destination, { resume: true, digest: sha256(bytes) })
    expect(result).toEqual({ size: SIZE, digest: sha256(bytes) })
    expect(proxy.responseBytes).toBeLessThan(SIZE - 3_000_000 + 10_000)
  })

  it('a resumed download whose part on disk is damaged fails the digest check with IntegrityError', async () => {
    const location = await seeded()
    const storage = createHttpStorage({ baseUrl: nginx.url('ro') }, LOOPBACK)
    opened.push(storage)
    const destination = join(scratch, 'damaged.bin')
    const damaged = Buffer.from(bytes.subarray(0, 1_000_000))
    damaged[10] = (damaged[10] ?? 0) ^ 0xff
    await writeFile(destination, damaged)
    const error = await failureOf(() => storage.download(location, destination, { resume: true, digest: sha256(bytes) }))
    expect(error.code).toBe('INTEGRITY_ERROR')
  })

  it('a fresh download checked against a wrong digest fails with IntegrityError', async () => {
    const location = await seeded(randomBytes(1000))
    const storage = createHttpStorage({ baseUrl: nginx.url('ro') }, LOOPBACK)
    opened.push(storage)
    const error = await failureOf(() => storage.download(location, join(scratch, 'wrong.bin'), { digest: sha256('other') }))
    expect(error.code).toBe('INTEGRITY_ERROR')
  })
})
