import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import type { AssetRecord } from '../asset-record.js'
import { temporaryPathFor, type TransferProgress } from '../atomic-file.js'
import type { Cache, CacheFileIdentity } from '../contracts/cache.js'
import { blobLocation, type ContentDigest, isPinDigest, type PinDigest } from '../digest.js'
import { hasErrorCode, IntegrityError, InvalidInputError, NotFoundError } from '../errors/index.js'
import { createHash } from 'node:crypto'
import { fetchFolder, fetchVerified, readManifest, type TransferOptions } from './content-store.js'
import { fileNameOf } from '../file-name.js'
import { assertReferenceUnchanged, storageOfRecord } from './external-reference.js'
import { ANONYMOUS, firstReadOfReference } from './reference-first-read.js'
import type { MutationContext, Registry } from '../contracts/registry.js'
import type { Storage } from '../contracts/storage.js'
import { copyOut } from './copy-out.js'
import { checkManifestPath } from './folder-manifest.js'
import { linkOptionsFor } from './linked-content.js'
import type { ManagerParts } from './manager-parts.js'
import { namedDirOf, namedLink } from './named-path.js'

export interface GetOptions {
  /**
   * Also place a copy here (a reflink where the filesystem allows); the path returned is this
   * one. An existing folder, or a path ending in `/`, receives the copy under its file name.
   */
  out?: string
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
}

export interface StreamOptions {
  /** Re-slice into chunks of this many bytes. */
  chunkSize?: number
  /** First byte, inclusive. */
  start?: number
  /** Last byte, exclusive. */
  end?: number
  /** For a folder asset: which file to stream. Refused for a file asset. */
  path?: string
  signal?: AbortSignal
}

/** Brings a version's content to `destination`, verified; returns the version as it stands after (a first read records a reference's digest). */
async function download(
  parts: ManagerParts,
  record: AssetRecord,
  destination: string,
  options: GetOptions,
  context: MutationContext,
  how: Pick<TransferOptions, 'link' | 'ownCopy' | 'sealMode'> = {},
): Promise<{ record: AssetRecord; files?: CacheFileIdentity[] }> {
  const transfer = { signal: options.signal, onProgress: options.onProgress, ...how }
  const storage = await storageOfRecord(parts, record)
  if (isPinDigest(record.digest)) return { record: await firstReadOfReference(parts.registry, storage, record, destination, transfer, context) }
  if (record.type === 'folder') return { record, files: await fetchFolder(storage, record.location, record.digest as ContentDigest, destination, transfer) }
  await fetchVerified(storage, record.location, record as AssetRecord & { digest: ContentDigest }, destination, transfer)
  return { record }
}

/** How `get --out` fetches content the cache lacks: a copy of the caller's own, reflinked where the filesystem clones. */
const OUT_COPY: Pick<TransferOptions, 'link' | 'ownCopy'> = { link: { hardlink: false }, ownCopy: true }

/**
 * The local path of a version's content, through the cache. One process per machine
 * downloads a missing entry (the cache's lock); the others wait and then find it. With
 * `missIsNull`, a miss is null instead (see fetchesStraightToOut).
 */
async function cachedPath(
  parts: ManagerParts,
  cache: Cache,
  given: AssetRecord,
  options: GetOptions,
  context: MutationContext,
  missIsNull = false,
): Promise<{ path: string; record: AssetRecord } | null> {
  let record = given
  const hit = isPinDigest(record.digest) ? null : await cache.get(cacheKey(record))
  if (hit) return { path: hit, record }
  if (missIsNull) return null
  // An unread reference is locked on its pin: the first process reads it and records its digest.
  const lock = await cache.lock(cacheKey(record), { signal: options.signal })
  try {
    if (isPinDigest(record.digest)) record = (await parts.registry.get(record.key, record.version)) ?? record
    const filled = isPinDigest(record.digest) ? null : await cache.get(cacheKey(record))
    if (filled) return { path: filled, record }
    const staging = cache.stagingPath(cacheKey(record))
    await mkdir(dirname(staging), { recursive: true })
    // Sealed as made, where the cache says how: set() then takes the files' identities as given.
    const fetched = await download(parts, record, staging, options, context, { link: linkOptionsFor(cache), sealMode: cache.sealedFileMode })
    record = fetched.record
    return { path: await cache.set(cacheKey(record), staging, fetched.files === undefined ? {} : { files: fetched.files }), record }
  } finally {
    await lock.release()
  }
}

/**
 * A reference's pin (size, ETag), checked before every read. When its store cannot be reached
 * (offline, an outage), a version whose content digest is recorded and whose bytes the cache
 * already holds is still served: the cache checked those bytes against that digest, which is
 * all the pin stood for. An unread reference, or one not in the cache, still fails.
 */
async function checkPinOrOffline(parts: ManagerParts, record: AssetRecord): Promise<void> {
  try {
    await assertReferenceUnchanged(await storageOfRecord(parts, record), record)
  } catch (error) {
    if (!hasErrorCode(error, 'BACKEND_UNAVAILABLE') || isPinDigest(record.digest) || !parts.cache) throw error
    if ((await parts.cache.get(cacheKey(record))) === null) throw error
  }
}

/**
 * Whether a `get --out` that misses the cache fetches straight from storage to `out`, leaving
 * the cache as it was: when the storage's objects are files on this machine (it can link them,
 * `linkTo`), filling the cache first would only add a second local copy, its sealing and a
 * sync before the copy out, for a cache that cannot serve faster than the storage itself. A
 * remote store's content goes through the cache, so that the next get finds it there; so does
 * a reference's first read, which the cache's lock keeps to one process.
 */
async function fetchesStraightToOut(parts: ManagerParts, record: AssetRecord): Promise<boolean> {
  return !isPinDigest(record.digest) && typeof (await storageOfRecord(parts, record)).linkTo === 'function'
}

/**
 * The cache key of a version's content. A folder's key says it is a folder, so that a file
 * whose bytes happen to equal a manifest never comes back as that folder (or the reverse).
 */
export function cacheKey(record: Pick<AssetRecord, 'type' | 'digest'>): string {
  return record.type === 'folder' ? `folder:${record.digest}` : record.digest
}

/**
 * The local path of a version's content, ending in its file name (`fileNameOf`): a link to the
 * cache entry, or with `out` a copy of it there (built beside `out` and renamed into place, so
 * `out` is never left half-written). Without a cache the content is downloaded for this call
 * only, straight to `out` when given, else into a new folder under `scratchDir` that the caller
 * owns; so is content a local storage holds and the cache lacks, with `out` (see
 * fetchesStraightToOut). What goes to `out` is hashed as it is written and checked against the
 * version (a folder: each file against its manifest), and is not synced, as with `cp`.
 */
export async function getContent(parts: ManagerParts, given: AssetRecord, options: GetOptions = {}, context: MutationContext = ANONYMOUS): Promise<string> {
  let record = given
  const out = options.out === undefined ? undefined : await outPath(options.out, fileNameOf(record), record.type)
  await checkPinOrOffline(parts, record)
  const scratch = out === undefined ? join(parts.scratchDir ?? tmpdir(), `assets-${randomUUID()}`) : undefined
  const target = scratch === undefined ? temporaryPathFor(out as string) : join(scratch, fileNameOf(record))
  try {
    const straight = out !== undefined && (await fetchesStraightToOut(parts, record))
    const cached = parts.cache ? await cachedPath(parts, parts.cache, record, options, context, straight) : null
    if (cached) {
      record = cached.record
      const path = cached.path
      if (out === undefined) return await namedLink(await namedDirOf(parts), record, cacheKey(record), path)
      await mkdir(dirname(out), { recursive: true })
      await copyOut(path, target)
    } else {
      await mkdir(dirname(target), { recursive: true })
      record = (await download(parts, record, target, options, context, out === undefined ? {} : OUT_COPY)).record
    }
    if (out === undefined) return target
    // Checked again: a download can take long enough for `out` to have become something else.
    checkReplaceable(out, await inspectOut(out), record.type)
    await rename(target, out)
    return out
  } catch (error) {
    await rm(scratch ?? target, { recursive: true, force: true })
    throw error
  }
}

/**
 * Where `out` puts the content: a new path, or an existing regular file (replaced) as given. An
 * existing folder (or a link to one, as with cp), or a path ending in `/`, gets it under its
 * file name — which whoever put the version chose, so there it never replaces anything, and
 * never makes a hidden one (`--out ~/` must not write a `.bashrc`). Nothing else is replaced: a
 * rename would replace a FIFO, socket or device (`/dev/null`) itself rather than write into it,
 * and a link (`/dev/stdout`) itself rather than what it points to.
 */
async function outPath(out: string, fileName: string, type: AssetRecord['type']): Promise<string> {
  const existing = await inspectOut(out)
  const intoFolder = existing.kind === 'folder' || out.endsWith('/') || out.endsWith(sep)
  const path = intoFolder ? join(out, fileName) : out
  const there = intoFolder ? await inspectOut(path) : existing
  if (intoFolder && there.kind !== 'none' && there.kind !== 'folder') {
    throw new InvalidInputError(`${path} exists: give that path itself to replace it`)
  }
  if (intoFolder && fileName.startsWith('.')) {
    throw new InvalidInputError(`the asset's file name ${JSON.stringify(fileName)} is hidden: give the full path to copy it to`)
  }
  checkReplaceable(path, there, type)
  const parent = await stat(dirname(path)).catch(() => null)
  if (parent && !parent.isDirectory()) throw new InvalidInputError(`cannot write to ${path}: ${dirname(path)} is not a folder`)
  return path
}

/** What is at an out path; a link to a folder counts as the folder. */
type OutTarget = { kind: 'none' | 'file' | 'folder' | 'link' } | { kind: 'special'; what: string }

async function inspectOut(path: string): Promise<OutTarget> {
  const own = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null
    const why = error.code === 'ENOTDIR' ? 'part of that path is a file, not a folder' : (error.code ?? error.message)
    throw new InvalidInputError(`cannot write to ${path}: ${why}`, { cause: error })
  })
  if (own === null) return { kind: 'none' }
  // A link to a folder is a folder to go into, as with cp and mv.
  const info = own.isSymbolicLink() ? await stat(path).catch(() => null) : own
  if (info?.isDirectory()) return { kind: 'folder' }
  if (info === null || own.isSymbolicLink()) return { kind: 'link' }
  if (info.isFile()) return { kind: 'file' }
  const what = info.isFIFO() ? 'a FIFO' : info.isSocket() ? 'a socket' : info.isCharacterDevice() ? 'a character device' : 'a block device'
  return { kind: 'special', what }
}

function checkReplaceable(path: string, there: OutTarget, type: AssetRecord['type']): void {
  if (there.kind === 'special') {
    throw new InvalidInputError(`${path} is ${there.what}: only a new path or a regular file is replaced; stream the content to write into it`)
  }
  if (there.kind === 'link') {
    throw new InvalidInputError(`${path} is a link, which is neither replaced nor written through: give the path it points to, or remove the link`)
  }
  if (there.kind === 'folder') throw new InvalidInputError(`${path} is an existing folder: give a new path to copy the asset to`)
  if (type === 'folder' && there.kind !== 'none') {
    throw new InvalidInputError(`${path} exists and is not a folder: give a new path, or a folder to hold the folder asset`)
  }
}

function checkRange(start: number | undefined, end: number | undefined, size: number): { start: number; end: number } {
  const s = start ?? 0
  const e = end ?? size
  if (!Number.isSafeInteger(s) || !Number.isSafeInteger(e) || s < 0 || e < s || e > size) {
    throw new InvalidInputError(`invalid range ${s}-${e} for ${size} bytes (start inclusive, end exclusive)`)
  }
  return { start: s, end: e }
}

/** Opens the file only when the first chunk is asked for: an unread stream holds no descriptor. */
async function* readFileRange(path: string, start: number, end: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  if (end === start) return
  yield* createReadStream(path, { start, end: end - 1, signal, highWaterMark: 1 << 20 })
}

async function* rechunk(source: AsyncIterable<Uint8Array>, size: number | undefined): AsyncIterable<Uint8Array> {
  if (!size) {
    yield* source
    return
  }
  let pending: Buffer = Buffer.alloc(0)
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk])
    while (pending.length >= size) {
      yield pending.subarray(0, size)
      pending = pending.subarray(size)
    }
  }
  if (pending.length > 0) yield pending
}

/** Hashes a whole-object stream as it passes and fails at the end if the bytes were wrong. */
async function* verified(source: AsyncIterable<Uint8Array>, expected: ContentDigest, what: string): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256')
  for await (const chunk of source) {
    hash.update(chunk)
    yield chunk
  }
  const actual = `sha256:${hash.digest('hex')}`
  if (actual !== expected) throw new IntegrityError(`${what}: streamed bytes have digest ${actual}, expected ${expected}`)
}

/**
 * A whole stream of a reference not read before: hashed as it passes, and its digest recorded
 * at the end (first writer wins); a digest other than one recorded before fails the stream.
 */
async function* recordingDigest(
  source: AsyncIterable<Uint8Array>,
  storage: Storage,
  registry: Registry,
  record: AssetRecord,
  context: MutationContext,
): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of source) {
    hash.update(chunk)
    size += chunk.length
    yield chunk
  }
  const what = `${record.key}@${record.version}`
  if (size !== record.size) throw new IntegrityError(`${what}: streamed ${size} bytes, registered with ${record.size}`)
  const actual: ContentDigest = `sha256:${hash.digest('hex')}`
  // Checked again after the read: an object replaced between the first check and the read
  // must not have its bytes recorded as this version's for good.
  await assertReferenceUnchanged(storage, record)
  const recorded = await registry.recordContentDigest(record.key, record.version, actual, context)
  if (recorded.digest !== actual) throw new IntegrityError(`${what}: streamed bytes have digest ${actual}, but its first read recorded ${recorded.digest}`)
}

/** The registry says this content exists: its absence from storage is damage, as `get` reports it. */
function missingIsDamage(error: unknown, location: string): unknown {
  return NotFoundError.isInstance(error) ? new IntegrityError(`${location} is registered but missing from storage`, { cause: error }) : error
}

async function* openRegistered(storage: Storage, location: string, options: { start: number; end: number; signal?: AbortSignal }): AsyncIterable<Uint8Array> {
  try {
    yield* storage.open(location, options)
  } catch (error) {
    throw missingIsDamage(error, location)
  }
}

/**
 * Streams a version (or one file of a folder) from the cache when it holds it, else straight
 * from storage. A whole-object stream is verified as it passes; a ranged one cannot be.
 */
export async function streamContent(
  parts: ManagerParts,
  record: AssetRecord,
  options: StreamOptions = {},
  context: MutationContext = ANONYMOUS,
): Promise<AsyncIterable<Uint8Array>> {
  if (options.chunkSize !== undefined && (!Number.isSafeInteger(options.chunkSize) || options.chunkSize < 1)) {
    throw new InvalidInputError('chunkSize must be a positive integer')
  }
  let target: { digest: ContentDigest | PinDigest; size: number; location: string; inCache?: string }
  const storage = await storageOfRecord(parts, record)
  if (record.type === 'folder') {
    if (options.path === undefined) {
      throw new InvalidInputError(`${record.key}@${record.version} is a folder: pass the path of one of its files`)
    }
    checkManifestPath(options.path)
    const manifest = await readManifest(storage, record.location, record.digest as ContentDigest, options.signal).catch((error: unknown) => {
      throw missingIsDamage(error, record.location)
    })
    const entry = manifest.files.find((f) => f.path === options.path)
    if (!entry) throw new NotFoundError(`${record.key}@${record.version} has no file ${options.path}`)
    const folder = await parts.cache?.get(cacheKey(record))
    target = { ...entry, location: blobLocation(entry.digest), inCache: folder ? join(folder, entry.path) : undefined }
  } else {
    // Ignoring it would hand back the whole file to a caller who asked for one inside a folder.
    if (options.path !== undefined) {
      throw new InvalidInputError(`${record.key}@${record.version} is a file, not a folder: it has no file ${JSON.stringify(options.path)} to stream`)
    }
    await assertReferenceUnchanged(storage, record)
    const unread = isPinDigest(record.digest)
    target = { ...record, inCache: unread ? undefined : ((await parts.cache?.get(cacheKey(record))) ?? undefined) }
  }
  const range = checkRange(options.start, options.end, target.size)
  const whole = range.start === 0 && range.end === target.size
  let source: AsyncIterable<Uint8Array>
  if (target.inCache && (await stat(target.inCache).then((s) => s.size === target.size, () => false))) {
    source = readFileRange(target.inCache, range.start, range.end, options.signal)
  } else {
    source = openRegistered(storage, target.location, { ...range, signal: options.signal })
    const what = `${record.key}@${record.version}`
    if (whole && isPinDigest(target.digest)) source = recordingDigest(source, storage, parts.registry, record, context)
    else if (whole) source = verified(source, target.digest as ContentDigest, what)
  }
  return rechunk(source, options.chunkSize)
}
