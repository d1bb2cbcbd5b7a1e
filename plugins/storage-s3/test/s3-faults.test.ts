import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ListPartsCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCutProxy, type CutProxy } from './fixtures/cut-proxy.js'
import { startFaultProxy, type FaultProxy } from './fixtures/fault-proxy.js'
import { rawClient, readAll, server, testOptions, testStorage } from './fixtures/s3-server.js'

const MiB = 1024 * 1024
const client = rawClient()
let cut: CutProxy
let faults: FaultProxy

beforeAll(async () => {
  cut = await startCutProxy(server().endpoint)
  faults = await startFaultProxy(server().endpoint)
})
afterAll(async () => {
  client.destroy()
  await Promise.all([cut.close(), faults.close()])
})

async function fileOf(bytes: Uint8Array): Promise<string> {
  const path = join(await temporaryFolder('s3-src'), 'source.bin')
  await writeFile(path, bytes)
  return path
}

describe('a connection cut in the middle of a transfer', () => {
  it('an upload retries the cut part only and finishes with the right digest', async () => {
    const storage = await testStorage({ concurrency: 2 }, cut.endpoint)
    const bytes = randomBytes(16 * MiB)
    const cuts = cut.cuts
    cut.arm(7 * MiB, 'up')
    const result = await storage.upload('cut-up.bin', await fileOf(bytes))
    expect(cut.cuts).toBe(cuts + 1)
    expect(result.digest).toBe(sha256(bytes))
    expect(storage.stats.retries).toBeGreaterThan(0)
    // Only the parts in flight when the connection dropped are sent again, never the whole file.
    expect(storage.stats.bytesSent).toBeLessThanOrEqual(bytes.length + 2 * 5 * MiB)
    expect(sha256(await readAll(storage.open('cut-up.bin')))).toBe(sha256(bytes))
    await storage.close()
  })

  it('a download and a streamed read go on from where the cut left them', async () => {
    const storage = await testStorage({ rangeSize: 4 * MiB, rangeConcurrency: 2 }, cut.endpoint)
    const bytes = randomBytes(14 * MiB)
    await storage.upload('cut-down.bin', await fileOf(bytes))
    const folder = await temporaryFolder('s3-dl')
    const cuts = cut.cuts
    let received = storage.stats.bytesReceived
    cut.arm(8 * MiB, 'down')
    const result = await storage.download('cut-down.bin', join(folder, 'out.bin'))
    expect(cut.cuts).toBe(cuts + 1)
    expect(result.digest).toBe(sha256(bytes))
    expect(sha256(await readFile(join(folder, 'out.bin')))).toBe(sha256(bytes))
    // Only the ranges in flight at the cut are read again, from where each one stopped.
    expect(storage.stats.bytesReceived - received).toBeLessThan(bytes.length + 2 * 4 * MiB)
    received = storage.stats.bytesReceived
    cut.arm(3 * MiB, 'down')
    expect(sha256(await readAll(storage.open('cut-down.bin')))).toBe(sha256(bytes))
    expect(cut.cuts).toBe(cuts + 2)
    // A streamed read resumes at the byte it reached: nothing is received twice.
    expect(storage.stats.bytesReceived - received).toBe(bytes.length)
    await storage.close()
  })

  it('a file upload that runs out of retries keeps its journal, and the rerun sends only the missing parts', async () => {
    const options = { concurrency: 1, maxAttempts: 1 }
    const first = await testStorage(options, cut.endpoint)
    const bytes = randomBytes(21 * MiB)
    const source = await fileOf(bytes)
    cut.arm(12 * MiB, 'up')
    await expect(first.upload('resumed.bin', source)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    expect(await first.stat('resumed.bin')).toBeNull()
    expect(await readdir(first.journalDir)).toHaveLength(1)
    const journal = JSON.parse(await readFile(join(first.journalDir, (await readdir(first.journalDir))[0] as string), 'utf8'))
    const listed = await client.send(new ListPartsCommand({ Bucket: first.bucket, Key: `${first.prefix}resumed.bin`, UploadId: journal.uploadId }))
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual(journal.parts.map((p: { partNumber: number }) => p.partNumber).sort())
    expect(journal.parts.length).toBeGreaterThanOrEqual(2)
    await first.close()

    const rerun = await testStorage({ prefix: first.prefix, journalDir: first.journalDir }, server().endpoint)
    const result = await rerun.upload('resumed.bin', source)
    expect(result.digest).toBe(sha256(bytes))
    expect(rerun.stats.bytesSent).toBe(bytes.length - journal.parts.length * 5 * MiB)
    expect(sha256(await readAll(rerun.open('resumed.bin')))).toBe(sha256(bytes))
    expect(await readdir(first.journalDir)).toEqual([])
    await rerun.close()
  })
})

describe('a server answering 500 / 503 for a while', () => {
  it.each([503, 500] as const)('retries through %i answers with backoff and succeeds', async (status) => {
    const storage = await testStorage({ maxAttempts: 5 }, faults.endpoint)
    const bytes = randomBytes(200_000)
    faults.fail(3, status)
    const seen = faults.requests.length
    await storage.upload('flaky.bin', (async function* () {
      yield bytes
    })())
    const answered = faults.requests.slice(seen).map((r) => r.status)
    expect(answered.slice(0, 4)).toEqual([status, status, status, 200])
    expect(storage.stats.retries).toBe(3)
    faults.fail(2, status)
    expect(sha256(await readAll(storage.open('flaky.bin')))).toBe(sha256(bytes))
    expect(storage.stats.retries).toBe(5)
    await storage.close()
  })

  it('gives up after maxAttempts with BackendUnavailableError naming the status', async () => {
    const storage = await testStorage({ maxAttempts: 2 }, faults.endpoint)
    faults.fail(2, 503)
    const seen = faults.requests.length
    await expect(storage.stat('anything')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/HTTP 503/) })
    expect(faults.requests.length - seen).toBe(2)
    await storage.close()
  })
})

describe('checksum mode', () => {
  it('when_supported sends the SDK flexible checksums; when_required sends none', async () => {
    const body = randomBytes(1000)
    const headersOf = async (checksum: 'when_supported' | 'when_required') => {
      const storage = await testStorage({ checksum }, faults.endpoint)
      const seen = faults.requests.length
      await storage.upload('checksummed', (async function* () {
        yield body
      })())
      await storage.close()
      return faults.requests.slice(seen).find((r) => r.method === 'PUT')?.headers ?? {}
    }
    const supported = await headersOf('when_supported')
    expect(Object.keys(supported).some((h) => h.startsWith('x-amz-checksum-'))).toBe(true)
    const required = await headersOf('when_required')
    expect(Object.keys(required).some((h) => h.startsWith('x-amz-checksum-'))).toBe(false)
  })
})

/**
 * Runs one transfer in a child process and SIGKILLs it once its progress passed `killAt` bytes
 * and its journal holds two parts or ranges (the child then waits for the signal).
 */
async function crashAt(op: 'upload' | 'download', options: object, path: string, location: string, killAt: number): Promise<string> {
  const fixture = fileURLToPath(new URL('./fixtures/crash-transfer.mjs', import.meta.url))
  const child = spawn(process.execPath, [fixture, op, JSON.stringify(options), path, location, String(killAt)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (/^ready$/m.test(output) && child.exitCode === null) child.kill('SIGKILL')
    })
    child.on('exit', () => resolve())
  })
  expect(child.signalCode).toBe('SIGKILL')
  expect(output).not.toMatch(/done/)
  return output
}

describe('a crash in the middle of a transfer', () => {
  it('the rerun of an upload after SIGKILL reuses the parts the server already holds', async () => {
    const bytes = randomBytes(26 * MiB)
    const source = await fileOf(bytes)
    const journalDir = await temporaryFolder('s3-journal')
    const options = { ...testOptions({ concurrency: 1 }), journalDir }
    // Past 10 MiB, with two parts acknowledged and journalled: crash, with no chance to clean up.
    await crashAt('upload', options, source, 'crashed.bin', 10 * MiB)
    const [name] = await readdir(journalDir)
    const journal = JSON.parse(await readFile(join(journalDir, name as string), 'utf8'))
    expect(journal.parts.length).toBeGreaterThanOrEqual(2)
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: options.prefix }))
    expect(open.Uploads?.map((u) => u.UploadId)).toEqual([journal.uploadId])

    const rerun = await testStorage({ prefix: options.prefix, journalDir, concurrency: 1 })
    const result = await rerun.upload('crashed.bin', source)
    expect(result.digest).toBe(sha256(bytes))
    expect(rerun.stats.bytesSent).toBeLessThanOrEqual(bytes.length - 2 * 5 * MiB)
    expect(rerun.stats.bytesSent).toBe(bytes.length - journal.parts.length * 5 * MiB)
    expect(sha256(await readAll(rerun.open('crashed.bin')))).toBe(sha256(bytes))
    await rerun.close()
  })

  it('the rerun of a download after SIGKILL fetches only the ranges its journal does not hold', async () => {
    const bytes = randomBytes(24 * MiB + 5)
    const journalDir = await temporaryFolder('s3-journal')
    const options = { ...testOptions({ rangeSize: 2 * MiB, rangeConcurrency: 3 }), journalDir }
    const seed = await testStorage({ prefix: options.prefix })
    await seed.upload('crash-down.bin', await fileOf(bytes))
    await seed.close()
    const destination = join(await temporaryFolder('s3-dl'), 'out.bin')
    await crashAt('download', options, destination, 'crash-down.bin', 12 * MiB)
    const [name] = await readdir(journalDir)
    const journal = JSON.parse(await readFile(join(journalDir, name as string), 'utf8'))
    const held = (journal.done as Array<[number, number]>).reduce((sum, [start, end]) => sum + end - start, 0)
    expect(held).toBeGreaterThanOrEqual(2 * 2 * MiB)
    // Ranges land out of order, but the file stays shorter than the object until it is whole.
    expect((await stat(destination)).size).toBeLessThan(bytes.length)

    const rerun = await testStorage({ prefix: options.prefix, journalDir, rangeSize: 2 * MiB })
    const result = await rerun.download('crash-down.bin', destination, { resume: true })
    expect(result).toEqual({ size: bytes.length, digest: sha256(bytes) })
    expect(rerun.stats.bytesReceived).toBe(bytes.length - held)
    expect(sha256(await readFile(destination))).toBe(sha256(bytes))
    expect(await readdir(journalDir)).toEqual([])
    await rerun.close()
  })
})
