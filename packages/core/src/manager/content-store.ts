import { randomUUID } from 'node:crypto'
import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { ManifestEntry } from '../asset-record.js'
import type { TransferProgress } from '../atomic-file.js'
import type { Storage } from '../contracts/storage.js'
import { assertDigest, blobLocation, type ContentDigest, hashFile, sha256 } from '../digest.js'
import { IntegrityError, NotFoundError, UnsupportedOperationError } from '../errors/index.js'
import { decodeManifest, encodeManifest, type FolderFile } from './folder-manifest.js'
import { runPool } from '../transfer/run-pool.js'
import type { ContentLease } from './content-lease.js'

/** Where uploads land before they are known to be complete; gc removes stale ones. */
export const STAGING_PREFIX = 'staging/'
export const BLOB_PREFIX = 'blobs/'
const FOLDER_CONCURRENCY = 4

export interface StoredContent {
  digest: ContentDigest
  size: number
  location: string
}

export interface TransferOptions {
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
}

export interface StoreOptions extends TransferOptions {
  /** The put's lease: every location is held before it is checked, reused or written (see ContentLease). */
  lease?: ContentLease
}

/**
 * Stores a local file by its digest and returns where it went. Where the backend can rename
 * atomically, the source is read once: uploaded to a staging name while hashed, then moved to
 * its content address. Elsewhere it is hashed first, so that content already present is not
 * uploaded again, and the backend checks the digest of what it receives.
 */
export async function storeFile(storage: Storage, source: string, options: StoreOptions = {}): Promise<StoredContent> {
  if (!storage.capabilities.write) throw new UnsupportedOperationError(`storage "${storage.name}" is read-only`)
  const { lease, ...transfer } = options
  if (storage.capabilities.atomicMove && storage.move) {
    const staging = `${STAGING_PREFIX}${randomUUID()}`
    try {
      await lease?.hold([staging], options.signal)
      const uploaded = await storage.upload(staging, source, transfer)
      const location = blobLocation(uploaded.digest)
      await lease?.hold([location], options.signal)
      const present = await storage.stat(location)
      if (present?.size === uploaded.size) await storage.delete(staging)
      else await storage.move(staging, location)
      return { digest: uploaded.digest, size: uploaded.size, location }
    } catch (error) {
      await storage.delete(staging).catch(() => {})
      throw error
    }
  }
  const { digest, size } = await hashFile(source, transfer)
  const location = blobLocation(digest)
  await lease?.hold([location], options.signal)
  const present = await storage.stat(location)
  if (present?.size !== size) await storage.upload(location, source, { ...transfer, digest, size })
  return { digest, size, location }
}

/** Stores bytes held in memory (a folder manifest) by their digest. */
export async function storeBytes(storage: Storage, bytes: Uint8Array, options: StoreOptions = {}): Promise<StoredContent> {
  const { lease, ...transfer } = options
  const digest = sha256(bytes)
  const location = blobLocation(digest)
  await lease?.hold([location], options.signal)
  const present = await storage.stat(location)
  if (present?.size !== bytes.length) {
    await storage.upload(location, oneChunk(bytes), { ...transfer, digest, size: bytes.length })
  }
  return { digest, size: bytes.length, location }
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/** Stores every file of a folder, then its manifest; the manifest's digest names the folder. */
export async function storeFolder(
  storage: Storage,
  files: FolderFile[],
  options: StoreOptions = {},
): Promise<StoredContent & { fileCount: number }> {
  const total = files.reduce((n, f) => n + f.size, 0)
  let done = 0
  const entries = await runPool(files, FOLDER_CONCURRENCY, async (file): Promise<ManifestEntry> => {
    const stored = await storeFile(storage, file.absolutePath, { signal: options.signal, lease: options.lease })
    done += file.size
    options.onProgress?.({ bytes: done, total })
    return { path: file.path, size: stored.size, digest: stored.digest }
  })
  const manifest = await storeBytes(storage, encodeManifest(entries), { signal: options.signal, lease: options.lease })
  // What was read, not what was listed: a file that grew or shrank meanwhile is recorded as
  // stored, so the version's size always equals the sum of its manifest.
  const size = entries.reduce((n, e) => n + e.size, 0)
  return { digest: manifest.digest, location: manifest.location, size, fileCount: files.length }
}

export async function readAll(storage: Storage, location: string, signal?: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of storage.open(location, { signal })) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export async function readManifest(storage: Storage, location: string, digest: ContentDigest, signal?: AbortSignal) {
  return decodeManifest(await readAll(storage, location, signal), digest)
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => s.size,
    () => undefined,
  )
}

/**
 * Brings one blob to `destination`, resuming a partial file left there by an earlier attempt,
 * and verifies its digest. A resumed file that fails the check is fetched once more from the
 * start (the partial part may be what was damaged); a second failure means the stored bytes
 * themselves are wrong.
 */
export async function fetchVerified(
  storage: Storage,
  location: string,
  expected: { digest: ContentDigest; size: number },
  destination: string,
  options: TransferOptions = {},
): Promise<void> {
  await mkdir(dirname(destination), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await sizeOf(destination)
    if (existing !== undefined && existing > expected.size) await rm(destination, { force: true })
    const resume = attempt === 0 && existing !== undefined && existing <= expected.size && storage.capabilities.range
    const result =
      resume && existing === expected.size
        ? { size: existing }
        : await storage.download(location, destination, { resume, signal: options.signal, onProgress: options.onProgress }).catch((error: unknown) => {
            // The registry says this content exists: its absence is damage, not a missing asset.
            if (NotFoundError.isInstance(error)) throw new IntegrityError(`${location} is registered but missing from storage`, { cause: error })
            throw error
          })
    const actual = result.digest !== undefined && !resume ? { digest: result.digest, size: result.size } : await hashFile(destination)
    try {
      assertDigest(`${location}`, actual, expected)
      return
    } catch (error) {
      await rm(destination, { force: true })
      if (attempt === 1 || !IntegrityError.isInstance(error)) throw error
    }
  }
}

/** Materialises a folder asset under `destination`, verifying every file. */
export async function fetchFolder(
  storage: Storage,
  manifestLocation: string,
  digest: ContentDigest,
  destination: string,
  options: TransferOptions = {},
): Promise<void> {
  const manifest = await readManifest(storage, manifestLocation, digest, options.signal)
  const total = manifest.files.reduce((n, f) => n + f.size, 0)
  let done = 0
  await mkdir(destination, { recursive: true })
  await runPool(manifest.files, FOLDER_CONCURRENCY, async (file) => {
    await fetchVerified(storage, blobLocation(file.digest), file, join(destination, file.path), { signal: options.signal })
    done += file.size
    options.onProgress?.({ bytes: done, total })
  })
}
