import { createHash, randomUUID } from 'node:crypto'
import { mkdirSync, statSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { ManifestEntry } from '../asset-record.js'
import { syncFileSystem, type TransferProgress } from '../atomic-file.js'
import type { CacheFileIdentity } from '../contracts/cache.js'
import type { LinkOptions, Storage } from '../contracts/storage.js'
import { assertDigest, blobLocation, type ContentDigest, hashFile, toContentDigest } from '../digest.js'
import { IntegrityError, NotFoundError, UnsupportedOperationError } from '../errors/index.js'
import { decodeManifest, encodeManifest, type FolderListing } from './folder-manifest.js'
import { runPool } from '../transfer/run-pool.js'
import type { ContentLease } from './content-lease.js'
import { LOCAL_FOLDER_CONCURRENCY, storeFolderSynced, syncsInOnePass } from './folder-store.js'
import { linkVerified } from './linked-content.js'
import { copyOnThreads, THREADED_COPY_MAX_BYTES, THREADED_COPY_MIN_FILES } from './threaded-copy-out.js'

/** Where uploads land before they are known to be complete; gc removes stale ones. */
export const STAGING_PREFIX = 'staging/'
export const BLOB_PREFIX = 'blobs/'
const FOLDER_CONCURRENCY = 4

export interface StoredContent {
  digest: ContentDigest
  size: number
  location: string
  /** This call put the object there (its bytes are the ones it hashed), rather than finding it stored. */
  written?: boolean
}

export interface TransferOptions {
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
  /** Fetching into a cache: link a local storage's blob instead of copying it, where it can (see linked-content.ts). */
  link?: LinkOptions
  /**
   * The destination is the caller's own copy (`get --out`), not a cache entry: a reflinked file
   * is made writable, as a copy is, and a folder is not synced at the end (as with `cp`).
   */
  ownCopy?: boolean
  /**
   * Filling a cache with this `sealedFileMode`: a folder's files made on threads are sealed with
   * it as they are made, and fetchFolder answers every file's identity for the cache's set().
   */
  sealMode?: number
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
      const written = present?.size !== uploaded.size
      if (written) await storage.move(staging, location)
      else await storage.delete(staging)
      return { digest: uploaded.digest, size: uploaded.size, location, written }
    } catch (error) {
      await storage.delete(staging).catch(() => {})
      throw error
    }
  }
  const { digest, size } = await hashFile(source, transfer)
  const location = blobLocation(digest)
  await lease?.hold([location], options.signal)
  // A small blob may be written without the question (see writeWithoutAskingBelow); it is then
  // reported as written, whether or not the same bytes were there already.
  const present = size <= (storage.capabilities.writeWithoutAskingBelow ?? -1) ? undefined : await storage.stat(location)
  const written = present?.size !== size
  if (written) await storage.upload(location, source, { ...transfer, digest, size })
  return { digest, size, location, written }
}

/**
 * Stores bytes (a folder manifest) by their digest: held in memory, or made anew by each call of
 * a function, which is called once to hash them and once more to write them if they are not
 * stored yet (a large manifest is then never held whole).
 */
export async function storeBytes(
  storage: Storage,
  bytes: Uint8Array | Uint8Array[] | (() => Iterable<Uint8Array>),
  options: StoreOptions = {},
): Promise<StoredContent> {
  const { lease, ...transfer } = options
  // Chunks (a large manifest, as built) are stored without first joining them into one copy.
  const chunks = typeof bytes === 'function' ? bytes : () => (Array.isArray(bytes) ? bytes : [bytes])
  const hash = createHash('sha256')
  let size = 0
  for (const chunk of chunks()) {
    hash.update(chunk)
    size += chunk.length
  }
  const digest = toContentDigest(hash)
  const location = blobLocation(digest)
  await lease?.hold([location], options.signal)
  const present = await storage.stat(location)
  if (present?.size !== size) {
    // The backend checks the digest and size of what it receives: bytes made differently the
    // second time are refused, not stored under this address.
    await storage.upload(location, eachChunk(chunks()), { ...transfer, digest, size })
  }
  return { digest, size, location }
}

async function* eachChunk(chunks: Iterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* chunks
}

/** Stores every file of a folder, then its manifest; the manifest's digest names the folder. */
export async function storeFolder(
  storage: Storage,
  files: FolderListing,
  options: StoreOptions = {},
): Promise<StoredContent & { fileCount: number }> {
  if (syncsInOnePass(storage)) {
    const built = await storeFolderSynced(storage, files, options)
    const manifest = await storeBytes(storage, built.chunks, { signal: options.signal, lease: options.lease })
    // What was read, not what was listed (see below).
    return { digest: manifest.digest, location: manifest.location, size: built.size, fileCount: built.count }
  }
  const total = files.totalSize
  let done = 0
  const indexes = Array.from({ length: files.count }, (_, i) => i)
  const entries = await runPool(indexes, storage.capabilities.folderConcurrency ?? FOLDER_CONCURRENCY, async (i): Promise<ManifestEntry> => {
    const stored = await storeFile(storage, files.absolutePath(i), { signal: options.signal, lease: options.lease })
    done += files.size(i)
    options.onProgress?.({ bytes: done, total })
    return { path: files.path(i), size: stored.size, digest: stored.digest }
  })
  const manifest = await storeBytes(storage, encodeManifest(entries), { signal: options.signal, lease: options.lease })
  // What was read, not what was listed: a file that grew or shrank meanwhile is recorded as
  // stored, so the version's size always equals the sum of its manifest.
  const size = entries.reduce((n, e) => n + e.size, 0)
  return { digest: manifest.digest, location: manifest.location, size, fileCount: files.count }
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
  // Synchronous: a metadata call, cheaper than a thread-pool hop (see hashFile).
  // No exception for a missing file (the usual case on a first fetch): building one costs more than the stat.
  try {
    return statSync(path, { throwIfNoEntry: false })?.size
  } catch {
    return undefined
  }
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
  options: TransferOptions & FolderFetchOptions = {},
): Promise<void> {
  if (!options.folderReady) await mkdir(dirname(destination), { recursive: true })
  if (options.link && (await linkVerified(storage, location, expected, destination, options.link, options))) return
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = attempt === 0 && options.fresh ? undefined : await sizeOf(destination)
    if (existing !== undefined && existing > expected.size) await rm(destination, { force: true })
    const resume = attempt === 0 && existing !== undefined && existing <= expected.size && storage.capabilities.range
    const result =
      resume && existing === expected.size
        ? { size: existing }
        : await storage.download(location, destination, { resume, signal: options.signal, onProgress: options.onProgress, deferSync: options.deferSync }).catch((error: unknown) => {
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

/** What fetchFolder tells fetchVerified about each of its files. */
interface FolderFetchOptions {
  /** The destination's folder exists already. */
  folderReady?: boolean
  /** Leave the file unsynced: the caller syncs the destination's filesystem once. */
  deferSync?: boolean
  /** The destination's folder was made by this fetch: no partial file is there to resume, so none is looked for. */
  fresh?: boolean
}

/**
 * Materialises a folder asset under `destination`, verifying every file: its folders made
 * first, once each, its files fetched several at a time without an fsync each, then one
 * syncfs of the destination's filesystem (see syncFileSystem), but for the caller's own copy.
 * With `sealMode`, where its files were made on threads, answers each file's identity (in the
 * manifest's order) for the cache's set(); else undefined.
 */
export async function fetchFolder(
  storage: Storage,
  manifestLocation: string,
  digest: ContentDigest,
  destination: string,
  options: TransferOptions = {},
): Promise<CacheFileIdentity[] | undefined> {
  const manifest = await readManifest(storage, manifestLocation, digest, options.signal)
  const total = manifest.files.reduce((n, f) => n + f.size, 0)
  let done = 0
  // The caller's own copy goes to a new path (see getContent): made here, it holds nothing to
  // resume. A cache's staging folder may hold an earlier attempt's files, unless this fetch
  // made it (mkdir answers the first folder it made, undefined when it was there already).
  let fresh = true
  if (options.ownCopy) await mkdir(destination)
  else fresh = (await mkdir(destination, { recursive: true })) !== undefined
  const folders = new Set<string>()
  for (const file of manifest.files) {
    const slash = file.path.lastIndexOf('/')
    if (slash > 0) folders.add(file.path.slice(0, slash))
  }
  for (const folder of folders) mkdirSync(join(destination, folder), { recursive: true })
  const concurrency = syncsInOnePass(storage) ? LOCAL_FOLDER_CONCURRENCY : (storage.capabilities.folderConcurrency ?? FOLDER_CONCURRENCY)
  const each = { signal: options.signal, link: options.link, ownCopy: options.ownCopy, folderReady: true, deferSync: true, fresh }
  let files = manifest.files
  // Small files from a local storage into a new folder: on threads (see threaded-copy-out.ts),
  // copied, or linked where the cache takes links (one copy on disk, issue 14) as the first
  // small file tells. Not into a folder that may hold an earlier attempt's files to resume.
  const localPath = fresh ? storage.localPath?.bind(storage) : undefined
  // The small files' indexes in the manifest, and the files.
  const smallAt: number[] = []
  if (localPath) for (let i = 0; i < files.length; i++) if ((files[i] as ManifestEntry).size <= THREADED_COPY_MAX_BYTES) smallAt.push(i)
  const small = smallAt.map((i) => files[i] as ManifestEntry)
  const first = small[0]
  const linked =
    !options.ownCopy && each.link !== undefined && first !== undefined && small.length >= THREADED_COPY_MIN_FILES
      ? await linkVerified(storage, blobLocation(first.digest), first, join(destination, first.path), each.link, each)
      : null
  if (linked && first) {
    done += first.size
    options.onProgress?.({ bytes: done, total })
  }
  // What the threads sealed (with sealMode): five numbers per manifest file (see onSealed),
  // NaN for the others, made into the cache's list once at the end. Not a Map of an object per
  // file as they come: that, and a second list, took a cold get of 10⁵ files to 220 MB.
  let sealed: Float64Array | undefined
  if (localPath && small.length >= THREADED_COPY_MIN_FILES) {
    if (!options.ownCopy && !linked) each.link = undefined
    const sourceOf = (file: ManifestEntry) => localPath(blobLocation(file.digest))
    const onBytes = (bytes: number) => {
      done += bytes
      options.onProgress?.({ bytes: done, total })
    }
    const ids = options.sealMode === undefined ? undefined : new Float64Array(5 * files.length).fill(Number.NaN)
    sealed = ids
    // Each pass's files, by their index in the manifest.
    let passAt = linked ? smallAt.slice(1) : smallAt
    const seal = () => {
      const at = passAt
      return { sealMode: options.sealMode, onSealed: ids && ((k: number, identity: Float64Array) => ids.set(identity, 5 * (at[k] as number))) }
    }
    let left = await copyOnThreads(linked ? small.slice(1) : small, destination, sourceOf, { signal: options.signal, link: linked ?? undefined, onBytes, ...seal() })
    passAt = left.map((k) => passAt[k] as number)
    // What the threads could not link (blobs of other users in a shared store) is copied: on
    // the threads too when there is much of it, else below, as the large files are.
    if (linked && left.length >= THREADED_COPY_MIN_FILES) {
      left = await copyOnThreads(passAt.map((i) => files[i] as ManifestEntry), destination, sourceOf, { signal: options.signal, onBytes, ...seal() })
      passAt = left.map((k) => passAt[k] as number)
    }
    files = [...passAt.map((i) => files[i] as ManifestEntry), ...files.filter((f) => f.size > THREADED_COPY_MAX_BYTES)]
  }
  await runPool(files, concurrency, async (file) => {
    const path = join(destination, file.path)
    // Once a file could not be linked here (no reflinks on this filesystem, hard links not
    // accepted), the others are copied without trying again: the answer is the same for the
    // rest of the folder (but for a file of another user in a shared store, copied too).
    const how = each.link !== undefined ? await linkVerified(storage, blobLocation(file.digest), file, path, each.link, each) : null
    if (how === null) {
      each.link = undefined
      await fetchVerified(storage, blobLocation(file.digest), file, path, each)
    }
    done += file.size
    options.onProgress?.({ bytes: done, total })
  })
  // The few files made here (the first link, large files, what the threads left) are taken by
  // a stat; the cache changes their modes. Before the syncfs, which then covers the threads' chmods.
  const identities = sealed && manifest.files.map((file, i) => identityOf(file.path, sealed, i, destination))
  if (!options.ownCopy) await syncFileSystem(destination)
  return identities
}

/** File i's identity as a thread sealed it, else as a stat of it finds it. */
function identityOf(path: string, sealed: Float64Array, i: number, destination: string): CacheFileIdentity {
  const at = (n: number) => sealed[5 * i + n] as number
  if (!Number.isNaN(at(0))) return { path, size: at(0), mtimeMs: at(1), ino: at(2), mode: at(3), nlink: at(4) }
  const info = statSync(join(destination, path))
  return { path, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, mode: info.mode & 0o7777, nlink: info.nlink }
}
