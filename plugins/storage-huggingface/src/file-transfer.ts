import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, mkdir, open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { type ContentDigest, fsyncFile, IntegrityError, type TransferProgress, toContentDigest } from '@assets/core'
import type { ResolvedFile } from './resolve-request.js'

/**
 * The digests taken while a file is written: our sha256, and for a regular (non-LFS) file the
 * git blob id the hub lists as its `oid`, so small files are checked against the hub too.
 */
export class FileDigests {
  private readonly sha256 = createHash('sha256')
  private readonly gitBlob: Hash | undefined

  constructor(gitBlobSize?: number) {
    this.gitBlob = gitBlobSize === undefined ? undefined : createHash('sha1').update(`blob ${gitBlobSize}\0`)
  }

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk)
    this.gitBlob?.update(chunk)
  }

  finish(): { digest: ContentDigest; gitBlobId?: string } {
    return { digest: toContentDigest(this.sha256), gitBlobId: this.gitBlob?.digest('hex') }
  }
}

/** Digests for a resolved file: a git blob id only where the hub's ETag is one (a regular file of known size). */
export function digestsFor(resolved: Pick<ResolvedFile, 'lfs' | 'etag' | 'totalSize'>): FileDigests {
  const gitEtag = !resolved.lfs && resolved.etag !== undefined && /^[0-9a-f]{40}$/.test(resolved.etag)
  return new FileDigests(gitEtag ? resolved.totalSize : undefined)
}

/** Size of a partial file to resume, 0 when there is none. */
export async function partialSize(path: string): Promise<number> {
  try {
    const info = await stat(path)
    return info.isFile() ? info.size : 0
  } catch {
    return 0
  }
}

/** Feeds the first `length` bytes of a partial file to the digests, so a resumed file is hashed whole. */
export async function hashPrefix(path: string, length: number, digests: FileDigests, signal?: AbortSignal): Promise<void> {
  if (length === 0) return
  const stream = createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20, signal })
  for await (const chunk of stream as AsyncIterable<Buffer>) digests.update(chunk)
}

export interface WriteBodyOptions {
  append: boolean
  digests: FileDigests
  total?: number
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
}

/** Streams a response body into `path` (appending or replacing), hashing it, then fsyncs; returns the bytes written. */
export async function writeBody(response: Response, path: string, options: WriteBodyOptions): Promise<number> {
  await mkdir(dirname(path), { recursive: true })
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      options.digests.update(chunk)
      done(null, chunk)
    },
  })
  // Opened before the body is read, so that the first bytes are written as soon as they arrive:
  // a connection cut at once then still leaves them for the resume (opened by the stream itself,
  // a cut that came while the open waited on the thread pool left an empty file).
  let handle: FileHandle
  try {
    handle = await open(path, options.append ? 'a' : 'w')
  } catch (error) {
    await response.body?.cancel().catch(() => {})
    throw error
  }
  const output = new FileSink(path, handle, (written) => options.onProgress?.({ bytes: written, total: options.total }))
  const body = response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
  await pipeline(body, tap, output, { signal: options.signal })
  await fsyncFile(path)
  return output.written
}

/**
 * Writes a file and reports progress once bytes are in it, not when they arrive: a transfer
 * stopped on progress (a cancel, a size limit) leaves at least the bytes reported in the
 * partial file, so a resume continues from there instead of fetching them again.
 */
class FileSink extends Writable {
  written = 0
  #handle: FileHandle | undefined

  constructor(
    private readonly path: string,
    handle: FileHandle,
    private readonly onWritten: (written: number) => void,
  ) {
    super({ highWaterMark: 4 << 20 })
    this.#handle = handle
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#writeAll(chunks.map((c) => c.chunk)).then(() => {
      this.onWritten(this.written)
      callback()
    }, callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#close().then(() => callback(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close().then(() => callback(error), () => callback(error))
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    const handle = this.#handle as FileHandle
    const expected = buffers.reduce((sum, b) => sum + b.length, 0)
    const { bytesWritten } = await handle.writev(buffers)
    // A regular file takes a whole write or fails; a short one means the disk ran out.
    if (bytesWritten !== expected) throw Object.assign(new Error(`short write to ${this.path}: ${bytesWritten} of ${expected} bytes`), { code: 'ENOSPC' })
    this.written += bytesWritten
  }

  async #close(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
  }
}

/**
 * Checks a whole file against what the hub says it is: the sha256 of an LFS file (X-Linked-ETag /
 * the tree's lfs.oid) or the git blob id of a regular one. Absent hub digests check nothing.
 */
export function checkAgainstHub(
  what: string,
  expected: { sha256?: string; gitBlobId?: string; size?: number },
  actual: { digest: ContentDigest; gitBlobId?: string; size: number },
): void {
  if (expected.size !== undefined && expected.size !== actual.size) {
    throw new IntegrityError(`${what}: the hub lists ${expected.size} bytes, got ${actual.size}`)
  }
  if (expected.sha256 !== undefined && `sha256:${expected.sha256}` !== actual.digest) {
    throw new IntegrityError(`${what}: the hub's sha256 is ${expected.sha256}, the bytes received hash to ${actual.digest.slice(7)}`)
  }
  if (expected.gitBlobId !== undefined && actual.gitBlobId !== undefined && expected.gitBlobId !== actual.gitBlobId) {
    throw new IntegrityError(`${what}: the hub's git blob id is ${expected.gitBlobId}, the bytes received give ${actual.gitBlobId}`)
  }
}
