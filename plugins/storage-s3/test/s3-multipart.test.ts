import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { rawClient, readAll, server, testStorage } from './fixtures/s3-server.js'

const MiB = 1024 * 1024
const client = rawClient()
afterAll(() => client.destroy())

async function openUploads(prefix: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: server().bucket, Prefix: prefix }))
  return (page.Uploads ?? []).map((u) => u.Key ?? '')
}

async function fileOf(bytes: Uint8Array): Promise<string> {
  const path = join(await temporaryFolder('s3-src'), 'source.bin')
  await writeFile(path, bytes)
  return path
}

describe('multipart uploads and ranged downloads', () => {
  it('uploads a large file as parallel parts, sends each byte once, and leaves no open upload', async () => {
    const storage = await testStorage({ concurrency: 3 })
    const bytes = randomBytes(17 * MiB)
    const result = await storage.upload('big.bin', await fileOf(bytes))
    expect(result).toMatchObject({ size: bytes.length, digest: sha256(bytes) })
    // A multipart object's ETag ends in -<number of parts>: 17 MiB in 5 MiB parts is 4.
    const head = await client.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: `${storage.prefix}big.bin` }))
    expect(head.ETag).toMatch(/-4"$/)
    expect(head.Metadata?.sha256).toBeUndefined()
    expect(storage.stats.bytesSent).toBe(bytes.length)
    expect(await openUploads(storage.prefix)).toEqual([])
    expect(await readdir(storage.journalDir).catch(() => [])).toEqual([])
    await storage.close()
  })

  it('downloads a large object in parallel ranges, and resumes a partial file with only the missing bytes', async () => {
    const storage = await testStorage({ concurrency: 4 })
    const bytes = randomBytes(23 * MiB + 17)
    await storage.upload('big.bin', await fileOf(bytes), { digest: sha256(bytes) })
    const folder = await temporaryFolder('s3-dl')
    const received = storage.stats.bytesReceived
    const whole = await storage.download('big.bin', join(folder, 'whole.bin'))
    expect(whole).toEqual({ size: bytes.length, digest: sha256(bytes) })
    expect(storage.stats.bytesReceived - received).toBe(bytes.length)
    expect(sha256(await readFile(join(folder, 'whole.bin')))).toBe(sha256(bytes))
    const partial = join(folder, 'partial.bin')
    await writeFile(partial, bytes.subarray(0, 9 * MiB + 3))
    const before = storage.stats.bytesReceived
    const resumed = await storage.download('big.bin', partial, { resume: true })
    expect(resumed.digest).toBe(sha256(bytes))
    expect(storage.stats.bytesReceived - before).toBe(bytes.length - (9 * MiB + 3))
    await storage.close()
  })

  it('does not upload content that is already stored with the same digest', async () => {
    const storage = await testStorage()
    const bytes = randomBytes(6 * MiB)
    const source = await fileOf(bytes)
    const digest = sha256(bytes)
    await storage.upload('blobs/same', source, { digest, size: bytes.length })
    const sent = storage.stats.bytesSent
    expect(sent).toBe(bytes.length)
    const again = await storage.upload('blobs/same', source, { digest, size: bytes.length })
    expect(again).toMatchObject({ digest, size: bytes.length })
    expect(storage.stats.bytesSent).toBe(sent)
    // Another file under the same name is uploaded: the local bytes are hashed, not trusted.
    const other = randomBytes(6 * MiB)
    await storage.upload('blobs/same', await fileOf(other), { digest: sha256(other) })
    expect(sha256(await readAll(storage.open('blobs/same')))).toBe(sha256(other))
    await storage.close()
  })

  it('a download whose bytes do not match the sha256 recorded at upload fails with IntegrityError', async () => {
    const storage = await testStorage()
    const bytes = randomBytes(1000)
    await storage.upload('tampered', (async function* () {
      yield bytes
    })())
    // Rewrite the object behind the plugin's back, keeping the old sha256 metadata.
    const { PutObjectCommand } = await import('@aws-sdk/client-s3')
    await client.send(
      new PutObjectCommand({ Bucket: storage.bucket, Key: `${storage.prefix}tampered`, Body: randomBytes(1000), Metadata: { sha256: sha256(bytes).slice(7) } }),
    )
    const folder = await temporaryFolder('s3-dl')
    await expect(storage.download('tampered', join(folder, 'x'))).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
    await storage.close()
  })

  it('cancelling an upload with its AbortSignal aborts the multipart upload and leaves nothing', async () => {
    const storage = await testStorage({ concurrency: 1 })
    const controller = new AbortController()
    const bytes = randomBytes(16 * MiB)
    const upload = storage.upload('cancelled.bin', await fileOf(bytes), {
      signal: controller.signal,
      onProgress: ({ bytes: done }) => {
        if (done >= 5 * MiB) controller.abort()
      },
    })
    await expect(upload).rejects.toMatchObject({ name: 'AbortError' })
    expect(await storage.stat('cancelled.bin')).toBeNull()
    expect(await openUploads(storage.prefix)).toEqual([])
    expect(await readdir(storage.journalDir).catch(() => [])).toEqual([])
    await storage.close()
  })

  it('abortStaleUploads aborts only the multipart uploads under its prefix started before the cutoff', async () => {
    const storage = await testStorage()
    const neighbour = await testStorage()
    const start = async (prefix: string, key: string) => {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: server().bucket, Key: `${prefix}${key}` }))
      await client.send(
        new UploadPartCommand({ Bucket: server().bucket, Key: `${prefix}${key}`, UploadId: created.UploadId, PartNumber: 1, Body: randomBytes(1000) }),
      )
    }
    await start(storage.prefix, 'blobs/sha256/ab/crashed')
    await start(neighbour.prefix, 'blobs/other')
    expect(await storage.abortStaleUploads(new Date(Date.now() - 3600_000))).toEqual([])
    const aborted = await storage.abortStaleUploads(new Date(Date.now() + 60_000))
    expect(aborted.map((a) => a.location)).toEqual(['blobs/sha256/ab/crashed'])
    expect(await openUploads(storage.prefix)).toEqual([])
    expect(await openUploads(neighbour.prefix)).toEqual([`${neighbour.prefix}blobs/other`])
    await neighbour.abortStaleUploads(new Date(Date.now() + 60_000))
    await Promise.all([storage.close(), neighbour.close()])
  })
})
