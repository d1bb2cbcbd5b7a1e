import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import type { S3Storage } from '../src/index.js'
import { rawClient, testStorage } from './fixtures/s3-server.js'

const MiB = 1024 * 1024
const client = rawClient()
afterAll(() => client.destroy())

/** Starts a download and cancels it once `after` bytes have landed; returns the spans its journal holds. */
async function cancelledDownload(storage: S3Storage, location: string, destination: string, after: number): Promise<Array<[number, number]>> {
  const controller = new AbortController()
  const download = storage.download(location, destination, {
    signal: controller.signal,
    onProgress: ({ bytes }) => {
      if (bytes >= after) controller.abort()
    },
  })
  await expect(download).rejects.toMatchObject({ name: 'AbortError' })
  const journals = await readdir(storage.journalDir)
  expect(journals).toHaveLength(1)
  const journal = JSON.parse(await readFile(join(storage.journalDir, journals[0] as string), 'utf8'))
  return journal.done
}

const heldBytes = (spans: Array<[number, number]>) => spans.reduce((sum, [start, end]) => sum + end - start, 0)

describe('downloads whose ranges land out of order', () => {
  it('a cancelled download keeps a journal of its whole ranges, and a resume fetches only the others', async () => {
    const storage = await testStorage({ rangeSize: 2 * MiB, rangeConcurrency: 3 })
    const bytes = randomBytes(16 * MiB + 3)
    await storage.upload('resume.bin', (async function* () {
      yield bytes
    })())
    const destination = join(await temporaryFolder('s3-dl'), 'out.bin')
    const done = await cancelledDownload(storage, 'resume.bin', destination, 7 * MiB)
    expect(heldBytes(done)).toBeGreaterThanOrEqual(2 * MiB)
    const file = await readFile(destination)
    // The file is shorter than the object, and each journalled range holds the object's bytes.
    expect(file.length).toBeLessThan(bytes.length)
    for (const [start, end] of done) expect(file.subarray(start, end).equals(bytes.subarray(start, end))).toBe(true)

    const before = storage.stats.bytesReceived
    const result = await storage.download('resume.bin', destination, { resume: true })
    expect(result).toEqual({ size: bytes.length, digest: sha256(bytes) })
    expect(storage.stats.bytesReceived - before).toBe(bytes.length - heldBytes(done))
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    expect(await readdir(storage.journalDir)).toEqual([])
    await storage.close()
  })

  it('keeps the file shorter than the object until every range is in, even when the last range lands first', async () => {
    // Two ranges of 4 MiB and a last one of 10 bytes, all three started at once: the short one
    // lands long before the others.
    const storage = await testStorage({ rangeSize: 4 * MiB, rangeConcurrency: 3 })
    const bytes = randomBytes(8 * MiB + 10)
    await storage.upload('last-first.bin', (async function* () {
      yield bytes
    })())
    const destination = join(await temporaryFolder('s3-dl'), 'out.bin')
    const sizes: number[] = []
    const result = await storage.download('last-first.bin', destination, { onProgress: () => sizes.push(statSync(destination).size) })
    expect(result.digest).toBe(sha256(bytes))
    // The last range's bytes but its final one were in the file while others were missing.
    expect(sizes).toContain(bytes.length - 1)
    expect(sizes.slice(0, -1).every((size) => size < bytes.length)).toBe(true)
    expect(sizes.at(-1)).toBe(bytes.length)
    await storage.close()
  })

  it('checks ranges its journal vouched for against the sha256 recorded at upload', async () => {
    const storage = await testStorage({ rangeSize: 2 * MiB, rangeConcurrency: 2 })
    const bytes = randomBytes(12 * MiB)
    await storage.upload('vouched.bin', (async function* () {
      yield bytes
    })(), { digest: sha256(bytes) })
    const destination = join(await temporaryFolder('s3-dl'), 'out.bin')
    const done = await cancelledDownload(storage, 'vouched.bin', destination, 5 * MiB)
    // Damage a journalled range, as a power loss before the page cache reached the disk would.
    const [start] = done[0] as [number, number]
    const file = await open(destination, 'r+')
    await file.write(Buffer.alloc(1000), 0, 1000, start)
    await file.close()
    await expect(storage.download('vouched.bin', destination, { resume: true })).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
    await expect(stat(destination)).rejects.toMatchObject({ code: 'ENOENT' })
    await storage.close()
  })

  it('a journal is not trusted once the object changed, or the file was replaced, or resume is off', async () => {
    const storage = await testStorage({ rangeSize: 2 * MiB, rangeConcurrency: 2 })
    const first = randomBytes(12 * MiB)
    const put = (body: Buffer) => client.send(new PutObjectCommand({ Bucket: storage.bucket, Key: `${storage.prefix}changing.bin`, Body: body }))
    await put(first)
    const destination = join(await temporaryFolder('s3-dl'), 'out.bin')

    // Another version of the object (another ETag): everything is fetched again.
    await cancelledDownload(storage, 'changing.bin', destination, 5 * MiB)
    const second = randomBytes(12 * MiB)
    await put(second)
    let before = storage.stats.bytesReceived
    expect((await storage.download('changing.bin', destination, { resume: true })).digest).toBe(sha256(second))
    expect(storage.stats.bytesReceived - before).toBe(second.length)
    expect(await readdir(storage.journalDir)).toEqual([])

    // The partial file deleted and written again (another inode): it is only a prefix.
    await cancelledDownload(storage, 'changing.bin', destination, 5 * MiB)
    await rm(destination)
    await writeFile(destination, second.subarray(0, 3 * MiB))
    before = storage.stats.bytesReceived
    expect((await storage.download('changing.bin', destination, { resume: true })).digest).toBe(sha256(second))
    expect(storage.stats.bytesReceived - before).toBe(second.length - 3 * MiB)

    // Without resume the journal is dropped and the file written from the start.
    await cancelledDownload(storage, 'changing.bin', destination, 5 * MiB)
    before = storage.stats.bytesReceived
    expect((await storage.download('changing.bin', destination)).digest).toBe(sha256(second))
    expect(storage.stats.bytesReceived - before).toBe(second.length)
    expect(await readdir(storage.journalDir)).toEqual([])
    expect((await stat(destination)).size).toBe(second.length)
    await storage.close()
  })

  it('a download of many ranges whose bytes do not match the sha256 recorded at upload fails and leaves no file', async () => {
    const storage = await testStorage({ rangeSize: MiB })
    const bytes = randomBytes(5 * MiB)
    await storage.upload('tampered-ranges.bin', (async function* () {
      yield bytes
    })())
    await client.send(
      new PutObjectCommand({
        Bucket: storage.bucket,
        Key: `${storage.prefix}tampered-ranges.bin`,
        Body: randomBytes(5 * MiB),
        Metadata: { sha256: sha256(bytes).slice('sha256:'.length) },
      }),
    )
    const destination = join(await temporaryFolder('s3-dl'), 'x.bin')
    await expect(storage.download('tampered-ranges.bin', destination)).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
    await expect(stat(destination)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readdir(storage.journalDir)).toEqual([])
    await storage.close()
  })
})
