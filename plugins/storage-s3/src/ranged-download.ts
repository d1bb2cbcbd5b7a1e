import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type DownloadOptions, type DownloadResult, digestHex, IntegrityError, toContentDigest } from '@assets/core'
import type { S3Context } from './s3-context.js'
import type { S3Target } from './s3-location.js'
import { readWindow } from './ranged-read.js'

export interface RemoteObject {
  size: number
  etag?: string
  /** sha256 hex recorded at upload by this plugin, when present. */
  sha256?: string
}

/** A range's chunks as received: written with one writev, never concatenated (half the memory). */
async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  for await (const chunk of source) chunks.push(chunk)
  return chunks
}

/**
 * Downloads an object to `destPath` in ranges of `partSize`, `concurrency` of them in flight,
 * written strictly in order: the file is always a prefix of the object, so a later resume can
 * trust its length. Every range is pinned to the object's ETag. Bytes already in a resumed
 * file are hashed from disk, so the returned digest covers the whole file.
 */
export async function downloadObject(
  ctx: S3Context,
  target: S3Target,
  remote: RemoteObject,
  destPath: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const { signal } = options
  await mkdir(dirname(destPath), { recursive: true })
  const existing = options.resume ? await stat(destPath).then((s) => s.size, () => 0) : 0
  const offset = existing <= remote.size ? existing : 0
  const hash = createHash('sha256')
  if (offset > 0) {
    for await (const chunk of createReadStream(destPath, { end: offset - 1, highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer)
  }
  const file = await open(destPath, offset > 0 ? 'r+' : 'w')
  const inner = new AbortController()
  const stop = () => inner.abort(signal?.reason)
  signal?.addEventListener('abort', stop, { once: true })
  const pending: Array<Promise<Buffer[]>> = []
  try {
    await file.truncate(offset)
    const { partSize, concurrency } = ctx.settings
    let next = offset
    const launch = () => {
      const start = next
      const end = Math.min(remote.size, start + partSize)
      next = end
      const range = collect(readWindow(ctx, target, { start, end, etag: remote.etag }, inner.signal))
      range.catch(() => {}) // awaited in order below; this only silences rejections not reached yet
      pending.push(range)
    }
    while (next < remote.size && pending.length < concurrency) launch()
    let position = offset
    while (pending.length > 0) {
      const chunks = await (pending.shift() as Promise<Buffer[]>)
      if (next < remote.size) launch()
      // The hash runs while the write is in flight: the disk and the CPU work at once.
      const written = file.writev(chunks, position)
      for (const chunk of chunks) {
        hash.update(chunk)
        position += chunk.length
      }
      await written
      options.onProgress?.({ bytes: position - offset, total: remote.size - offset })
      signal?.throwIfAborted()
    }
    if (position !== remote.size) throw new IntegrityError(`s3: download of ${target.location} ended at byte ${position} of ${remote.size}`)
    await file.sync()
  } catch (error) {
    inner.abort()
    await Promise.allSettled(pending)
    throw error
  } finally {
    signal?.removeEventListener('abort', stop)
    await file.close()
  }
  const digest = toContentDigest(hash)
  if (offset === 0 && remote.sha256 !== undefined && remote.sha256 !== digestHex(digest)) {
    await rm(destPath, { force: true })
    throw new IntegrityError(`s3: ${target.location} does not match the sha256 recorded when it was uploaded`)
  }
  return { size: remote.size, digest }
}
