import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, mkdir, open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  assertDigest,
  type ContentDigest,
  type DownloadOptions,
  type DownloadResult,
  IntegrityError,
  NotFoundError,
  type StorageObjectInfo,
  toContentDigest,
} from '@assets/core'
import { BatchedFileWriter } from './batched-file-writer.js'
import { OffThreadHash } from './off-thread-hash.js'
import type { HttpTransport } from './http-transport.js'
import { describeRequest } from './object-url.js'
import { type ReaderSettings, readObjectRange } from './range-reader.js'

const BATCH_BYTES = 4 << 20

export interface HttpDownloadOptions extends DownloadOptions {
  /**
   * The digest the whole file must have: checked once the last byte is written (IntegrityError
   * on a mismatch). On a resumed download the part already on disk is hashed first.
   */
  digest?: ContentDigest
  /**
   * Objects of at least this many bytes are hashed on a worker thread while the main thread
   * receives and writes. Off by default (`Infinity`): a worker pays only where a core is free
   * (on the 2-core machine of BENCHMARKS.md it was slower); try 64 MiB on a larger machine.
   */
  hashOffThreadBytes?: number
  /**
   * fsync the file before returning (default false). The manager verifies a download's digest
   * before using it and its cache re-verifies damaged entries, so like curl and Pooch the
   * default leaves flushing to the OS; pass true where the file must survive a power cut.
   */
  fsync?: boolean
}

export interface DownloadTarget {
  url: URL
  location: string
  stat: () => Promise<StorageObjectInfo | null>
}

/**
 * Writes the object to `destPath`, hashing every byte as it arrives. A resumed download asks
 * only for the missing tail; a partial file as long as the object or longer starts over.
 */
export async function downloadObject(
  transport: HttpTransport,
  settings: ReaderSettings,
  target: DownloadTarget,
  destPath: string,
  options: HttpDownloadOptions = {},
): Promise<DownloadResult> {
  options.signal?.throwIfAborted()
  const what = describeRequest('GET', target.url)
  const offset = options.resume ? await resumeOffset(target, destPath) : 0
  // Without an expected digest, a resumed file is not reread: the caller verifies it whole.
  const hash = offset === 0 || options.digest !== undefined ? createHash('sha256') : undefined
  let total: number | undefined
  const chunks = readObjectRange(transport, settings, target.url, what, {
    start: offset,
    signal: options.signal,
    onTotal: (size) => {
      total = size
    },
  })[Symbol.asyncIterator]()
  // The first answer comes before the file is touched: a missing object leaves the destination alone.
  let next = await chunks.next()
  let file: FileHandle
  try {
    if (hash !== undefined && offset > 0) await hashPrefix(hash, destPath, offset, options.signal)
    await mkdir(dirname(destPath), { recursive: true })
    file = await open(destPath, offset > 0 ? 'a' : 'w')
  } catch (error) {
    await chunks.return(undefined).catch(() => {})
    throw error
  }
  const offThread =
    hash !== undefined && offset === 0 && total !== undefined && total >= (options.hashOffThreadBytes ?? Number.POSITIVE_INFINITY)
      ? new OffThreadHash(BATCH_BYTES + (1 << 20))
      : undefined
  const writer = new BatchedFileWriter(file, {
    batchBytes: BATCH_BYTES,
    handoff: offThread && { buffer: (bytes) => offThread.buffer(bytes), written: (buffer, length) => offThread.update(buffer, length) },
  })
  let moved = 0
  let failure: unknown
  try {
    while (next.done !== true) {
      if (offThread === undefined) hash?.update(next.value)
      moved += next.value.length
      await writer.write(next.value)
      options.onProgress?.({ bytes: moved, total: total === undefined ? undefined : total - offset })
      next = await chunks.next()
    }
  } catch (error) {
    failure = error
  }
  await chunks.return(undefined).catch(() => {})
  // What arrived before a failure is still written, so that a resumed download starts after it;
  // the first failure stays the error reported.
  try {
    await writer.flush()
    if (failure === undefined && (options.fsync ?? false)) await file.sync()
  } catch (error) {
    failure ??= error
  } finally {
    await file.close()
  }
  if (failure !== undefined) {
    await offThread?.close()
    throw failure
  }
  const size = offset + moved
  const digest = offThread !== undefined ? await offThread.digest() : hash === undefined ? undefined : toContentDigest(hash)
  if (total !== undefined && size !== total) {
    throw new IntegrityError(`http: download of ${target.location}: the server announced ${total} bytes but sent ${size}`)
  }
  if (options.digest !== undefined && digest !== undefined) {
    assertDigest(`http: download of ${target.location}`, { digest, size }, { digest: options.digest })
  }
  return digest === undefined ? { size } : { size, digest }
}

/** Where a resumed download continues: the partial file's size while it is shorter than the object. */
async function resumeOffset(target: DownloadTarget, destPath: string): Promise<number> {
  const existing = await stat(destPath).then(
    (s) => (s.isFile() ? s.size : 0),
    () => 0,
  )
  if (existing === 0) return 0
  const info = await target.stat()
  if (info === null) throw new NotFoundError(`http: no object at ${describeRequest('GET', target.url)}`)
  return existing <= info.size ? existing : 0
}

async function hashPrefix(hash: Hash, path: string, length: number, signal: AbortSignal | undefined): Promise<void> {
  const stream = createReadStream(path, { start: 0, end: length - 1, highWaterMark: 4 << 20, signal })
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk)
}
