import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { IntegrityError } from './errors/index.js'

/** A content digest as stored everywhere: `sha256:<64 lowercase hex>`. */
export type ContentDigest = `sha256:${string}`

const DIGEST = /^sha256:[0-9a-f]{64}$/

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
  const hash = createHash('sha256')
  let size = 0
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal: options.signal })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
  }
  return { digest: toContentDigest(hash), size }
}

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
