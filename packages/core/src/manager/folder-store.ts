import * as cryptoModule from 'node:crypto'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, type ReadStream, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import type { TransferProgress } from '../atomic-file.js'
import type { Storage } from '../contracts/storage.js'
import { blobLocation, type ContentDigest, digestHex } from '../digest.js'
import { InvalidInputError } from '../errors/index.js'
import { runPool } from '../transfer/run-pool.js'
import type { ContentLease } from './content-lease.js'
import { STAGING_PREFIX } from './content-store.js'
import type { FolderListing } from './folder-manifest.js'
import { manifestChunks } from './manifest-builder.js'
import { PutThreads, THREADED_PUT_MIN_FILES } from './threaded-folder-put.js'

/**
 * How a listed file is opened: without waiting (opening a FIFO swapped in for a file would
 * otherwise block the event loop), and not through a link. The listing (folder-manifest.ts)
 * gives every file by its real path, so a link there now was swapped in since: followed, it
 * would store whatever it points to (another user's file, read with the putter's rights) under
 * a name whoever may write in the folder chose. A folder on the path swapped for a link is
 * followed by the open all the same, so the file opened must also be the one listed: its inode
 * and device, taken by the listing's stat (sameAsListed). The threads check the same way.
 */
const READ_LISTED = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/** Files in flight at once: enough to keep the disk and the thread pool busy. */
export const LOCAL_FOLDER_CONCURRENCY = 16
/** Files read ahead per batch, and their bytes at most: one lease call per batch, bounded memory. */
const BATCH_FILES = 2048
const BATCH_BYTES = 8 << 20
/** Files up to this size are read whole into memory, hashed, then written: one read each. */
const SMALL_FILE_BYTES = 1 << 20

const STAGED_FILE = /^(staging\/[0-9a-f-]{36})\.\d+$/

/**
 * The lease that protects a staging object: for a folder put's `staging/<put>.<n>`, the put's
 * one hold on `staging/<put>`, so that a put of 10⁵ files holds one location, not 10⁵.
 */
export function stagingLeaseOf(location: string): string {
  return STAGED_FILE.exec(location)?.[1] ?? location
}

type SyncedStorage = Storage & Required<Pick<Storage, 'move' | 'sync'>>

/** Whether `storeFolderSynced` can store a folder on this backend. */
export function syncsInOnePass(storage: Storage): storage is SyncedStorage {
  return storage.capabilities.atomicMove && typeof storage.move === 'function' && typeof storage.sync === 'function'
}

/**
 * Stores a folder's files on a backend that renames atomically and syncs in one pass (a local
 * folder), with one read of each file and no per-file fsync, keeping what a file-by-file put
 * guarantees:
 *
 * 1. small files are read into memory a batch at a time and hashed; the batch's blob locations
 *    are held in one registry call; each blob not stored yet is written, not yet durable, to a
 *    temporary name beside it (`<blob>.tmp-<pid>-<this put's suffix>`, the form of
 *    temporaryPathFor, which gc ties to the blob's hold). A large file
 *    is uploaded, hashed on the way, to a staging name (`staging/<put>.<n>`, all covered by one
 *    hold on `staging/<put>`), then its blob location held;
 * 2. one `sync()` makes all of those durable;
 * 3. each is renamed to its content address;
 * 4. one more `sync()` makes the renames durable.
 *
 * So a blob at its content address always has durable, complete bytes: a power cut before step
 * 2 can only leave temporary and staging files, which no one reads and gc removes; a SIGKILL
 * anywhere leaves those or whole blobs, never a registered version (the registry commit comes
 * after this returns). The folder's own subfolders do not matter: blobs are written under
 * `blobs/sha256/<2 hex>/`, where a filesystem creates files faster than in one big folder.
 */
export async function storeFolderSynced(
  storage: SyncedStorage,
  files: FolderListing,
  options: { signal?: AbortSignal; lease?: ContentLease; onProgress?: (progress: TransferProgress) => void },
): Promise<StoredFolder> {
  const { signal, lease } = options
  const put = randomUUID()
  // What this put holds for each file until its manifest is written: 32 bytes of digest and 8 of
  // size, in arrays made once (see DigestTable), not strings and objects per file.
  const digests = new DigestTable(files.count)
  const sizes = new Float64Array(files.count)
  // Written and not yet at their content address, removed again if the put fails: temporary
  // names beside their blob, by the index of their file (the name follows from the digest and
  // this put's suffix: no string kept per file), and staging names.
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`
  const temporarySuffix = `.tmp-${suffix}`
  const temporaryOf = (i: number) => `${blobLocation(digests.get(i))}${temporarySuffix}`
  // The indexes of the files whose temporary names this put wrote; those from `moved` on are not moved yet.
  const pending = new Uint32Array(files.count)
  let pendingCount = 0
  let moved = 0
  const stagedFor = new Map<string, string>()
  const pendingStaged: string[] = []
  // Large files uploaded to staging, until each is moved or dropped.
  const staged = new Set<string>()
  const total = files.totalSize
  let done = 0
  const progress = (bytes: number) => {
    done += bytes
    options.onProgress?.({ bytes: done, total })
  }
  // Small files on threads where the storage's objects are files here (threaded-folder-put.ts).
  const local = files.count >= THREADED_PUT_MIN_FILES && storage.localPath && storage.prepareLocalWrites ? storage : undefined
  let threads: PutThreads | undefined
  try {
    threads = local ? new PutThreads() : undefined
    const large: number[] = []
    const { fileMode } = (await local?.prepareLocalWrites?.()) ?? {}
    // Without threads, one buffer holds a batch's bytes, read into it one file after another and
    // reused by the next batch (each batch is written before the next is read), and a batch is
    // file numbers and offsets into it: a buffer per file left tens of MB of garbage backing
    // stores between collections, and a view and an object per file lived long enough to be
    // promoted (the put's peak RSS, issue 14). Untouched pages of the buffer cost no memory, so a
    // small folder pays nothing for its size. (The threads keep their own, threaded-folder-put.ts.)
    const arena = threads ? Buffer.alloc(0) : Buffer.allocUnsafeSlow(BATCH_BYTES + SMALL_FILE_BYTES + 1)
    const starts = new Uint32Array(BATCH_FILES)
    let index = 0
    if (threads && local?.localPath) {
      const localPath = local.localPath.bind(local)
      const pool = threads
      const nextBatch = (): number[] => {
        const batch: number[] = []
        for (let bytes = 0; index < files.count && batch.length < BATCH_FILES && bytes < BATCH_BYTES; index++) {
          batch.push(index)
          bytes += Math.min(files.size(index), SMALL_FILE_BYTES)
        }
        return batch
      }
      // A contiguous slice of a batch per thread, read and hashed there into one of its two
      // slots; the bytes stay there until written. The next batch is read while the registry
      // holds this one's blob locations.
      const readBatch = (batch: number[], slot: 0 | 1) => {
        const per = Math.ceil(batch.length / pool.count)
        const slices = Array.from({ length: pool.count }, (_, t) => batch.slice(t * per, (t + 1) * per)).filter((slice) => slice.length > 0)
        const budget = Math.ceil(BATCH_BYTES / pool.count) + SMALL_FILE_BYTES
        const reads = Promise.all(slices.map((slice, t) => pool.read(t, slot, files, slice, SMALL_FILE_BYTES, budget)))
        // Awaited in turn; until then a failure must not count as unhandled.
        reads.catch(() => {})
        return { slices, reads, slot }
      }
      let reading = readBatch(nextBatch(), 0)
      while (reading.slices.length > 0) {
        signal?.throwIfAborted()
        const { slices, slot } = reading
        const reads = await reading.reads
        const locations = new Set<string>()
        let bytes = 0
        slices.forEach((slice, t) => {
          const read = reads[t] as { digests: Uint8Array; sizes: number[] }
          slice.forEach((i, k) => {
            const size = read.sizes[k] as number
            if (size < 0) {
              large.push(i)
              return
            }
            digests.setBytes(i, read.digests, k * 32)
            sizes[i] = size
            bytes += size
            locations.add(blobLocation(digests.get(i)))
          })
        })
        reading = readBatch(nextBatch(), slot === 0 ? 1 : 0)
        if (locations.size > 0) await lease?.hold([...locations], signal)
        // Each digest's first file writes its blob's temporary name, on the thread that holds
        // its bytes; claimed here, in order, so that identical files share one blob.
        await settled(
          slices.map(async (slice, t) => {
            const read = reads[t] as { sizes: number[] }
            const owners: number[] = []
            const indexes: number[] = []
            const blobs: string[] = []
            slice.forEach((i, k) => {
              if ((read.sizes[k] as number) < 0 || digests.claim(i) !== i) return
              owners.push(i)
              indexes.push(k)
              blobs.push(localPath(blobLocation(digests.get(i))))
            })
            if (owners.length === 0) return
            const written = await pool.write(t, slot, indexes, blobs, temporarySuffix, fileMode).catch((error: unknown) => {
              // Which of them it wrote is unknown: all are removed with the rest (a missing one is no matter).
              for (const i of owners) pending[pendingCount++] = i
              throw error
            })
            owners.forEach((i, n) => {
              if (written[n] === 1) pending[pendingCount++] = i
            })
          }),
        )
        progress(bytes)
      }
    }
    while (!threads && index < files.count) {
      const batch: number[] = []
      let bytes = 0
      for (; index < files.count && batch.length < BATCH_FILES && bytes < BATCH_BYTES; index++) {
        signal?.throwIfAborted()
        const read = readIfSmall(files, index, arena, bytes)
        if (read === undefined) {
          large.push(index)
          continue
        }
        starts[batch.length] = bytes
        batch.push(index)
        digests.setHex(index, sha256Hex(read))
        sizes[index] = read.length
        bytes += read.length
      }
      if (batch.length > 0) await lease?.hold([...new Set(batch.map((i) => blobLocation(digests.get(i))))], signal)
      await runPool(batch, LOCAL_FOLDER_CONCURRENCY, async (i, position) => {
        const size = sizes[i] as number
        const digest = digests.get(i)
        const location = blobLocation(digest)
        // Once per digest: a folder's identical files share one blob (and one temporary name).
        // Claimed before the stat: the pool's other workers may meet the same digest meanwhile.
        const first = digests.claim(i) === i
        if (first && (await storage.stat(location))?.size !== size) {
          pending[pendingCount++] = i
          const start = starts[position] as number
          await storage.upload(temporaryOf(i), oneChunk(arena.subarray(start, start + size)), { signal, digest, size, deferSync: true, unpublished: true })
        }
        progress(size)
      })
    }
    if (large.length > 0) {
      // One hold covers every staging name of this put (see stagingLeaseOf).
      await lease?.hold([`${STAGING_PREFIX}${put}`], signal)
      const staging = (i: number) => `${STAGING_PREFIX}${put}.${i}`
      await runPool(large, LOCAL_FOLDER_CONCURRENCY, async (i) => {
        staged.add(staging(i))
        const uploaded = await withListedFile(files, i, (bytes) => storage.upload(staging(i), bytes, { signal, deferSync: true, unpublished: true }))
        digests.setHex(i, digestHex(uploaded.digest))
        sizes[i] = uploaded.size
        progress(uploaded.size)
      })
      await lease?.hold([...new Set(large.map((i) => blobLocation(digests.get(i))))], signal)
      await runPool(large, LOCAL_FOLDER_CONCURRENCY, async (i) => {
        const location = blobLocation(digests.get(i))
        if ((await storage.stat(location))?.size === sizes[i]) await storage.delete(staging(i))
        else {
          pendingStaged.push(staging(i))
          stagedFor.set(staging(i), location)
        }
        staged.delete(staging(i))
      })
    }
    await storage.sync()
    await runPool(pendingStaged, LOCAL_FOLDER_CONCURRENCY, (from) => storage.move(from, stagedFor.get(from) as string, { deferSync: true }))
    pendingStaged.length = 0
    // Moved in order, a batch at a time: a failure leaves that batch and the rest to remove.
    while (moved < pendingCount) {
      const moves = Array.from(pending.subarray(moved, Math.min(moved + BATCH_FILES, pendingCount)))
      if (threads && local?.localPath) {
        const localPath = local.localPath.bind(local)
        const pool = threads
        const per = Math.ceil(moves.length / pool.count)
        await settled(
          Array.from({ length: pool.count }, (_, t) => moves.slice(t * per, (t + 1) * per))
            .filter((slice) => slice.length > 0)
            .map((slice, t) => pool.move(t, slice.map((i) => localPath(blobLocation(digests.get(i)))), temporarySuffix)),
        )
      } else await runPool(moves, LOCAL_FOLDER_CONCURRENCY, (i) => storage.move(temporaryOf(i), blobLocation(digests.get(i)), { deferSync: true }))
      moved += moves.length
    }
    await storage.sync()
  } catch (error) {
    const leftovers = [...Array.from(pending.subarray(moved, pendingCount), temporaryOf), ...pendingStaged, ...staged]
    await runPool(leftovers, LOCAL_FOLDER_CONCURRENCY, (from) => storage.delete(from)).catch(() => {
      // Left for gc: temporary and staging objects are removed once old.
    })
    throw error
  } finally {
    await threads?.close()
  }
  // What was read, not what was listed: a file that grew or shrank meanwhile is recorded as
  // stored, so the version's size always equals the sum of its manifest.
  let size = 0
  for (const s of sizes) size += s
  const chunks = () =>
    manifestChunks(
      files.count,
      (i) => files.path(i),
      (i) => sizes[i] as number,
      (i) => digests.get(i),
    )
  return { count: files.count, size, chunks }
}

/** A folder's files, stored: how many, their bytes, and its manifest's bytes, encoded anew at each call of `chunks`. */
export interface StoredFolder {
  count: number
  size: number
  chunks: () => Iterable<Uint8Array>
}

/**
 * A small file's sha256 in hex: the one-shot crypto.hash (Node 20.12 and later) makes no Hash
 * object, whose native state waits for a collection to be freed; createHash before it.
 */
const sha256Hex: (bytes: Uint8Array) => string =
  typeof cryptoModule.hash === 'function' ? (bytes) => cryptoModule.hash('sha256', bytes, 'hex') : (bytes) => createHash('sha256').update(bytes).digest('hex')

/**
 * The digest of each file of a folder by its index, as 32 bytes each rather than a 71-character
 * string each (issue 14: the strings were the largest thing a put of 10⁵ files held), and which
 * index first had each digest: an open-addressing table of file numbers, keyed by the digest's
 * first 4 bytes and compared whole, in one typed array made once (a Map of 10⁵ entries grows by
 * copies in the heap).
 */
export class DigestTable {
  private readonly bytes: Buffer
  /** Slots of `1 + the first index` with a digest, 0 for none; a power of two, at least twice the files. */
  private readonly firsts: Uint32Array

  constructor(count: number) {
    this.bytes = Buffer.alloc(count * 32)
    let slots = 16
    while (slots < count * 2) slots *= 2
    this.firsts = new Uint32Array(slots)
  }

  setHex(i: number, hex: string): void {
    this.bytes.write(hex, i * 32, 32, 'hex')
  }

  /** File `i`'s digest from 32 bytes of `from` at `offset`. */
  setBytes(i: number, from: Uint8Array, offset: number): void {
    this.bytes.set(from.subarray(offset, offset + 32), i * 32)
  }

  get(i: number): ContentDigest {
    return `sha256:${this.bytes.toString('hex', i * 32, i * 32 + 32)}`
  }

  /** The first index claimed with file `i`'s digest: `i` when it is the first. */
  claim(i: number): number {
    const mask = this.firsts.length - 1
    for (let slot = this.bytes.readUInt32BE(i * 32) & mask; ; slot = (slot + 1) & mask) {
      const held = this.firsts[slot] as number
      if (held === 0) {
        this.firsts[slot] = i + 1
        return i
      }
      const first = held - 1
      if (this.bytes.compare(this.bytes, first * 32, first * 32 + 32, i * 32, i * 32 + 32) === 0) return first
    }
  }
}

/**
 * Waits for every thread's part, then throws the first failure: the put's clean-up must not
 * start while another thread still writes.
 */
async function settled(parts: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(parts)).find((result) => result.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/**
 * A regular file's bytes when it holds at most SMALL_FILE_BYTES, read with synchronous calls
 * (see hashFile) into `arena` from `offset` (which leaves room for SMALL_FILE_BYTES + 1 bytes);
 * else undefined.
 */
function readIfSmall(files: FolderListing, i: number, arena: Buffer, offset: number): Buffer | undefined {
  const path = files.absolutePath(i)
  let fd: number
  try {
    fd = openSync(path, READ_LISTED)
  } catch (cause) {
    throw listedFileError(path, cause)
  }
  try {
    const info = fstatSync(fd)
    sameAsListed(files, i, info)
    if (info.size > SMALL_FILE_BYTES) return undefined
    const buffer = arena.subarray(offset, offset + info.size + 1)
    let filled = 0
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null)
      if (read === 0) return buffer.subarray(0, filled)
      filled += read
      // It grew past the limit since the stat: the large-file path reads whatever it holds.
      if (filled === buffer.length) return undefined
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Calls `use` with the bytes of a listed file that is too large to read whole, opened as
 * READ_LISTED says and read from that one open file: a swap after the open changes nothing.
 */
async function withListedFile<T>(files: FolderListing, i: number, use: (bytes: AsyncIterable<Uint8Array>) => Promise<T>): Promise<T> {
  const path = files.absolutePath(i)
  const handle = await open(path, READ_LISTED).catch((cause: unknown) => {
    throw listedFileError(path, cause)
  })
  let stream: ReadStream | undefined
  try {
    sameAsListed(files, i, await handle.stat())
    stream = handle.createReadStream({ highWaterMark: 4 << 20 })
    return await use(stream)
  } finally {
    // The stream closes the file (at its end, or now if the upload stopped early); a failure
    // to close is no matter then, and must not be an unhandled 'error'.
    if (stream) stream.on('error', () => {}).destroy()
    else await handle.close()
  }
}

/** Refuses what was opened for listed file `i` unless it is a regular file and the one listed (see READ_LISTED). */
function sameAsListed(files: FolderListing, i: number, info: { isFile(): boolean; ino: number; dev: number }): void {
  const path = files.absolutePath(i)
  if (!info.isFile()) throw new InvalidInputError(`folder file ${path} is no longer a regular file`)
  if (info.ino !== files.inode(i) || info.dev !== files.device(i)) {
    throw new InvalidInputError(`folder file ${path} was replaced since it was listed (a folder on its path by a link, or the file by another)`)
  }
}

function listedFileError(path: string, cause: unknown): InvalidInputError {
  const code = (cause as NodeJS.ErrnoException).code
  if (code === 'ELOOP') return new InvalidInputError(`folder file ${path} was replaced by a link since it was listed`, { cause })
  return new InvalidInputError(`folder file ${path} cannot be read (${code ?? cause})`, { cause })
}
