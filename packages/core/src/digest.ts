import { createHash, type Hash } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { IntegrityError } from './errors/index.js'

/** Reading without waiting: opening a FIFO swapped in for a file would otherwise block the event loop. */
const READ_NO_WAIT = constants.O_RDONLY | constants.O_NONBLOCK

/** A content digest as stored everywhere: `sha256:<64 lowercase hex>`. */
export type ContentDigest = `sha256:${string}`

const DIGEST = /^sha256:[0-9a-f]{64}$/

/**
 * What the digest field of a version registered by reference holds until its bytes are first
 * read: `pin:<64 hex>`, the sha256 of the object's pin (URI, size, ETag, version id), never the
 * content's. It can never be taken for a content digest (no `sha256:` prefix); the first full
 * read replaces it with the content's digest (Registry.recordContentDigest).
 */
export type PinDigest = `pin:${string}`

const PIN = /^pin:[0-9a-f]{64}$/

export function isPinDigest(value: unknown): value is PinDigest {
  return typeof value === 'string' && PIN.test(value)
}

export function isContentDigest(value: unknown): value is ContentDigest {
  return typeof value === 'string' && DIGEST.test(value)
}

export function digestHex(digest: ContentDigest): string {
  return digest.slice('sha256:'.length)
}

export function toContentDigest(hash: Hash): ContentDigest {
  return `sha256:${hash.digest('hex')}`
}

export function sha256(bytes: Uint8Array | string): ContentDigest {
  return toContentDigest(createHash('sha256').update(bytes))
}

/** Reads a file once and returns its digest and size. */
export async function hashFile(path: string, options: { signal?: AbortSignal } = {}): Promise<{ digest: ContentDigest; size: number }> {
  // Plain reads into one buffer rather than a stream: a folder's many small files would
  // otherwise spend more on setting up each stream than on hashing its bytes.
  options.signal?.throwIfAborted()
  const small = hashIfSmall(path)
  if (small !== undefined) return small
  const hash = createHash('sha256')
  let size = 0
  const handle = await open(path, 'r')
  try {
    // Small first: most files of a folder fit; a file that fills it gets the big one.
    let buffer = Buffer.allocUnsafe(FIRST_READ_BYTES)
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      size += bytesRead
      if (bytesRead === buffer.length) {
        options.signal?.throwIfAborted()
        if (buffer.length < HASH_READ_BYTES) buffer = Buffer.allocUnsafe(HASH_READ_BYTES)
      }
    }
  } finally {
    await handle.close()
  }
  return { digest: toContentDigest(hash), size }
}

/**
 * A file of at most this many bytes is hashed with synchronous calls: from the page cache they
 * take microseconds, less than the thread-pool hop of each asynchronous open, read and close.
 */
const SMALL_FILE_BYTES = 1 << 20

function hashIfSmall(path: string): { digest: ContentDigest; size: number } | undefined {
  const fd = openSync(path, READ_NO_WAIT)
  try {
    const info = fstatSync(fd)
    // A FIFO or device is left to the asynchronous loop, which does not hold the event loop.
    if (!info.isFile() || info.size > SMALL_FILE_BYTES) return undefined
    const { size } = info
    const buffer = Buffer.allocUnsafe(size + 1)
    let filled = 0
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null)
      if (read === 0) break
      filled += read
      // It grew since the stat: the asynchronous loop reads whatever it holds now.
      if (filled === buffer.length) return undefined
    }
    return { digest: toContentDigest(createHash('sha256').update(buffer.subarray(0, filled))), size: filled }
  } finally {
    closeSync(fd)
  }
}

const FIRST_READ_BYTES = 64 << 10
const HASH_READ_BYTES = 1 << 20

/** Throws an IntegrityError naming what was checked when the digest or size differs. */
export function assertDigest(what: string, actual: { digest: string; size?: number }, expected: { digest: string; size?: number }): void {
  if (expected.size !== undefined && actual.size !== undefined && actual.size !== expected.size) {
    throw new IntegrityError(`${what}: expected ${expected.size} bytes, got ${actual.size}`)
  }
  if (actual.digest !== expected.digest) {
    throw new IntegrityError(`${what}: expected ${expected.digest}, got ${actual.digest}`)
  }
}

/** Where a blob lives in every content-addressed store: `blobs/sha256/ab/abcdef…`. */
export function blobLocation(digest: ContentDigest): string {
  const hex = digestHex(digest)
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`
}
