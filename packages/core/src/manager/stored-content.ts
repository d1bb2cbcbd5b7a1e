import type { Storage } from '../contracts/storage.js'
import { blobLocation, type ContentDigest, isContentDigest } from '../digest.js'
import { IntegrityError, InvalidInputError, NotFoundError } from '../errors/index.js'
import { runPool } from '../transfer/run-pool.js'
import type { ContentLease } from './content-lease.js'
import { readManifest } from './content-store.js'

/**
 * Content already in the storage, claimed by whoever asks to register it (an asset server for
 * its client, which uploaded the blobs to it first): a file's blob, or a folder's manifest blob
 * and, through the manifest, its files' blobs.
 */
export interface StoredContentClaim {
  type: 'file' | 'folder'
  digest: ContentDigest
  /** A file's bytes; a folder's: the sum of its files' sizes. */
  size: number
  fileCount: number
  /** Must be `blobLocation(digest)`: stored content is found nowhere else. */
  location: string
}

/** A manifest past this is refused rather than read into memory (about a million files). */
export const MAX_STORED_MANIFEST_BYTES = 256 << 20
/** Blobs statted at once. */
const STAT_CONCURRENCY = 16
/** Locations held per registry call. */
const HOLD_BATCH = 1000

/** The claim's own shape, checked before anything is read: a malformed claim writes nothing. */
export function checkStoredClaim(claim: unknown): StoredContentClaim {
  const c = claim as Partial<StoredContentClaim> | null
  if (typeof c !== 'object' || c === null) throw new InvalidInputError('a stored-content claim must be an object')
  if (c.type !== 'file' && c.type !== 'folder') throw new InvalidInputError(`stored content type must be "file" or "folder", not ${JSON.stringify(c.type)}`)
  if (!isContentDigest(c.digest)) throw new InvalidInputError(`stored content digest must be sha256:<64 lowercase hex>, not ${JSON.stringify(c.digest)}`)
  if (c.location !== blobLocation(c.digest)) {
    throw new InvalidInputError(`stored content ${c.digest} must be at ${blobLocation(c.digest)}, not ${JSON.stringify(c.location)}`)
  }
  for (const field of ['size', 'fileCount'] as const) {
    if (!Number.isSafeInteger(c[field]) || (c[field] as number) < 0) {
      throw new InvalidInputError(`stored content ${field} must be a non-negative integer, not ${JSON.stringify(c[field])}`)
    }
  }
  if (c.type === 'file' && c.fileCount !== 1) throw new InvalidInputError(`a stored file has fileCount 1, not ${c.fileCount}`)
  return { type: c.type, digest: c.digest, size: c.size as number, fileCount: c.fileCount as number, location: c.location }
}

/**
 * Checks that the claimed content is all in the storage, under the put's lease, and returns it
 * as the put registers it. Trusting a blob found at `blobLocation(digest)` without hashing it
 * again is sound because nothing else writes there: every put (and an asset server's upload)
 * hashes the bytes it receives and stores them at that location only when they have that digest
 * (storeFile, storeBytes, and Storage.upload's digest check). So its presence with the right size
 * is proof of the content; `verify` still re-reads it like any other.
 */
export async function checkStoredContent(
  storage: Storage,
  claim: StoredContentClaim,
  lease: ContentLease,
  signal?: AbortSignal,
): Promise<StoredContentClaim> {
  const c = checkStoredClaim(claim)
  // Held before each check: gc cannot remove what was just found until the version is registered.
  await lease.hold([c.location], signal)
  const found = await storage.stat(c.location)
  if (c.type === 'file') {
    if (found === null) throw missing(`file ${c.digest}`, c.location)
    if (found.size !== c.size) throw new IntegrityError(`stored file ${c.digest} has ${found.size} bytes, not the ${c.size} claimed; nothing was registered`)
    return c
  }
  if (found === null) throw missing(`folder manifest ${c.digest}`, c.location)
  if (found.size > MAX_STORED_MANIFEST_BYTES) {
    throw new InvalidInputError(`folder manifest ${c.digest} has ${found.size} bytes, more than the ${MAX_STORED_MANIFEST_BYTES} accepted`)
  }
  // readManifest checks the bytes against the digest, and every entry's path, size and digest.
  const manifest = await readManifest(storage, c.location, c.digest, signal).catch((error: unknown) => {
    if (NotFoundError.isInstance(error)) throw missing(`folder manifest ${c.digest}`, c.location)
    throw error
  })
  const size = manifest.files.reduce((n, f) => n + f.size, 0)
  if (manifest.files.length !== c.fileCount || size !== c.size) {
    throw new IntegrityError(
      `folder ${c.digest} holds ${manifest.files.length} files of ${size} bytes, not the ${c.fileCount} files of ${c.size} bytes claimed; nothing was registered`,
    )
  }
  // One stat per distinct blob; the same digest with two sizes is a manifest no put writes.
  const sizes = new Map<ContentDigest, number>()
  for (const f of manifest.files) {
    if ((sizes.get(f.digest) ?? f.size) !== f.size) throw new IntegrityError(`folder manifest ${c.digest} gives ${f.digest} two sizes`)
    sizes.set(f.digest, f.size)
  }
  const blobs = [...sizes]
  for (let start = 0; start < blobs.length; start += HOLD_BATCH) {
    const batch = blobs.slice(start, start + HOLD_BATCH)
    await lease.hold(
      batch.map(([digest]) => blobLocation(digest)),
      signal,
    )
    await runPool(batch, STAT_CONCURRENCY, async ([digest, expected]) => {
      signal?.throwIfAborted()
      const location = blobLocation(digest)
      const blob = await storage.stat(location)
      if (blob === null) throw missing(`file ${digest} of folder ${c.digest}`, location)
      if (blob.size !== expected) {
        throw new IntegrityError(`stored file ${digest} of folder ${c.digest} has ${blob.size} bytes, not ${expected}; nothing was registered`)
      }
    })
  }
  return c
}

function missing(what: string, location: string): IntegrityError {
  return new IntegrityError(`${what} is not stored (at ${location}): upload it first; nothing was registered`)
}
