import { randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHttpStorage, type HttpStorage } from '../src/index.js'
import { CuttingProxy } from './fixtures/cutting-proxy.js'
import { NginxServer } from './fixtures/nginx-server.js'
import { failureOf, LOOPBACK } from './fixtures/storage-context.js'

const MiB = 1 << 20
let nginx: NginxServer
let scratch: string
const opened: Array<{ stop?: () => Promise<void>; close?: () => Promise<void> }> = []

beforeAll(async () => {
  nginx = await NginxServer.start()
  scratch = await temporaryFolder('storage-http-ranged')
})

afterEach(async () => {
  for (const thing of opened.splice(0)) await (thing.close ?? thing.stop)?.call(thing)
})

afterAll(async () => {
  await nginx?.stop()
  await rm(scratch, { recursive: true, force: true })
})

async function seeded(content: Uint8Array): Promise<string> {
  const location = `ranged/${randomBytes(4).toString('hex')}.bin`
  await nginx.seed(location, content)
  return location
}

/** A storage that fetches objects larger than a range (1 MiB unless said) in ranges, `concurrency` at a time. */
function rangedStorage(baseUrl: string, journalDir: string, concurrency = 3, rangeSize = MiB): HttpStorage {
  const storage = createHttpStorage({ baseUrl, rangeSize, rangeConcurrency: concurrency, journalDir, retryBaseDelayMs: 5 }, LOOPBACK)
  opened.push(storage)
  return storage
}

describe('downloads in parallel ranges', () => {
  it('a large object comes as one plain GET whose answer serves the first range, then ranged GETs; the file and digest are whole', async () => {
    const bytes = randomBytes(5 * MiB + 17)
    const location = await seeded(bytes)
    const journals = await temporaryFolder('http-journals')
    const destination = join(scratch, 'parallel.bin')
    const result = await rangedStorage(nginx.url('ro'), journals).download(location, destination, { digest: sha256(bytes) })
    expect(result).toEqual({ size: bytes.length, digest: sha256(bytes) })
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    const requests = await nginx.requests(location, (lines) => lines.length >= 6)
    // Sorted: nginx logs a request when it ends, and the plain GET, cut off after its first
    // range, can end after ranged GETs that began later (seen in a CI rehearsal).
    expect(requests.map((r) => `${r.method} ${r.status}`).sort()).toEqual(['GET 200', ...Array(5).fill('GET 206')])
    // The first answer was cut off after its first range: the rest of its body is not counted as sent in full.
    expect(requests.filter((r) => r.status === 206).reduce((sum, r) => sum + r.bytes, 0)).toBe(bytes.length - MiB)
    expect(await readdir(journals)).toEqual([])
  })

  it('a download stopped part-way journals every byte it wrote, ranges cut short included, and the resume fetches only the rest', async () => {
    const bytes = randomBytes(8 * MiB)
    const location = await seeded(bytes)
    const proxy = await CuttingProxy.start(nginx.httpPort, { cuts: 0, cutAfterBytes: 0 })
    opened.push(proxy)
    const journals = await temporaryFolder('http-journals')
    // Ranges of 3 MiB, two in flight, written a MiB or so at a time: the stop cuts ranges short.
    const storage = rangedStorage(`http://127.0.0.1:${proxy.port}/ro/`, journals, 2, 3 * MiB)
    const destination = join(scratch, 'stopped.bin')
    const stop = new AbortController()
    let reported = 0
    const onProgress = (p: { bytes: number }) => {
      reported = p.bytes
      if (p.bytes >= 4.5 * MiB) stop.abort()
    }
    const stopped = await failureOf(() => storage.download(location, destination, { signal: stop.signal, onProgress }))
    expect(stopped.name).toBe('AbortError')
    const [name] = await readdir(journals)
    const journal = JSON.parse(await readFile(join(journals, name as string), 'utf8')) as { done: Array<[number, number]> }
    const held = journal.done.reduce((sum, [start, end]) => sum + end - start, 0)
    // Every byte reported as written is journalled, those of ranges cut short included (whole
    // ranges alone would be 3 MiB here).
    expect(held).toBeGreaterThanOrEqual(reported)
    expect(reported).toBeGreaterThanOrEqual(4.5 * MiB)
    const partial = await readFile(destination)
    expect(partial.length).toBeLessThan(bytes.length)
    for (const [start, end] of journal.done) expect(partial.subarray(start, end).equals(bytes.subarray(start, end))).toBe(true)

    const before = proxy.responseBytes
    const result = await storage.download(location, destination, { resume: true, digest: sha256(bytes) })
    expect(result).toEqual({ size: bytes.length, digest: sha256(bytes) })
    // The rest, plus little more than the headers of its requests.
    expect(proxy.responseBytes - before).toBeLessThan(bytes.length - held + 64 * 1024)
    expect(await readdir(journals)).toEqual([])
  })

  it('ranges pinned to the first answer refuse an object replaced in between, instead of splicing two versions', async () => {
    const bytes = randomBytes(6 * MiB)
    const location = await seeded(bytes)
    const proxy = await CuttingProxy.start(nginx.httpPort, { cuts: 1, cutAfterBytes: MiB / 2 })
    opened.push(proxy)
    const path = join(nginx.root, 'data', 'ro', ...location.split('/'))
    proxy.onCut = () => {
      writeFileSync(`${path}.new`, randomBytes(6 * MiB + 1))
      renameSync(`${path}.new`, path)
    }
    const destination = join(scratch, 'replaced.bin')
    const error = await failureOf(() => rangedStorage(`http://127.0.0.1:${proxy.port}/ro/`, join(scratch, 'replaced-journals'), 2).download(location, destination))
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toMatch(/changed while it was being read/)
    // Whatever was written is shorter than the object: never taken for a whole file.
    expect((await stat(destination)).size).toBeLessThan(bytes.length)
  })

  it('a server without ranges gets one plain GET, as curl sends', async () => {
    const bytes = randomBytes(3 * MiB)
    const location = await seeded(bytes)
    const destination = join(scratch, 'no-ranges.bin')
    const result = await rangedStorage(nginx.url('noranges'), join(scratch, 'no-ranges-journals')).download(location, destination)
    expect(result).toEqual({ size: bytes.length, digest: sha256(bytes) })
    expect((await nginx.requests(`/noranges/${location}`, (lines) => lines.length >= 1)).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200'])
  })
})
