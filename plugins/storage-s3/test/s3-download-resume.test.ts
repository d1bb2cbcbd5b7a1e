import { randomBytes } from 'node:crypto'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
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
