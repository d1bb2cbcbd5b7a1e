import { randomBytes, randomUUID } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import type { TransferProgress } from '../atomic-file.js'
import type { Storage } from '../contracts/storage.js'
import { blobLocation, type ContentDigest, sha256 } from '../digest.js'
import { InvalidInputError } from '../errors/index.js'
import { runPool } from '../transfer/run-pool.js'
import type { ContentLease } from './content-lease.js'
import { STAGING_PREFIX } from './content-store.js'
import type { FolderFile } from './folder-manifest.js'
import { ManifestBuilder } from './manifest-builder.js'

/** Reading without waiting: opening a FIFO swapped in for a file would otherwise block the event loop. */
const READ_NO_WAIT = constants.O_RDONLY | constants.O_NONBLOCK

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
  files: FolderFile[],
  options: { signal?: AbortSignal; lease?: ContentLease; onProgress?: (progress: TransferProgress) => void },
): Promise<ManifestBuilder> {
  const { signal, lease } = options
  const put = randomUUID()
  const digests: ContentDigest[] = new Array(files.length)
  const sizes = new Float64Array(files.length)
  // Written and not yet at their content address, removed again if the put fails: temporary
  // names beside their blob, by the index of their file (the name follows from the digest and
  // this put's suffix: no string kept per file), and staging names.
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`
  const temporaryOf = (i: number) => `${blobLocation(digests[i] as ContentDigest)}.tmp-${suffix}`
  const written = new Set<ContentDigest>()
  const pending: number[] = []
  const stagedFor = new Map<string, string>()
  const pendingStaged: string[] = []
  // Large files uploaded to staging, until each is moved or dropped.
  const staged = new Set<string>()
  const total = files.reduce((n, f) => n + f.size, 0)
  let done = 0
  const progress = (bytes: number) => {
    done += bytes
    options.onProgress?.({ bytes: done, total })
  }
  try {
    const large: number[] = []
    let index = 0
    while (index < files.length) {
      const batch: Array<{ index: number; bytes: Buffer }> = []
      let bytes = 0
      for (; index < files.length && batch.length < BATCH_FILES && bytes < BATCH_BYTES; index++) {
        signal?.throwIfAborted()
        const read = readIfSmall((files[index] as FolderFile).absolutePath)
        if (read === undefined) {
          large.push(index)
          continue
        }
        batch.push({ index, bytes: read })
        digests[index] = sha256(read)
        sizes[index] = read.length
        bytes += read.length
      }
      if (batch.length > 0) await lease?.hold([...new Set(batch.map((b) => blobLocation(digests[b.index] as ContentDigest)))], signal)
      await runPool(batch, LOCAL_FOLDER_CONCURRENCY, async ({ index: i, bytes: content }) => {
        const location = blobLocation(digests[i] as ContentDigest)
        // Once per digest: a folder's identical files share one blob (and one temporary name).
        const digest = digests[i] as ContentDigest
        // Claimed before the stat: the pool's other workers may meet the same digest meanwhile.
        const first = !written.has(digest)
        written.add(digest)
        if (first && (await storage.stat(location))?.size !== content.length) {
          pending.push(i)
          await storage.upload(temporaryOf(i), oneChunk(content), { signal, digest: digests[i], size: content.length, deferSync: true, unpublished: true })
        }
        progress(content.length)
      })
    }
    if (large.length > 0) {
      // One hold covers every staging name of this put (see stagingLeaseOf).
      await lease?.hold([`${STAGING_PREFIX}${put}`], signal)
      const staging = (i: number) => `${STAGING_PREFIX}${put}.${i}`
      await runPool(large, LOCAL_FOLDER_CONCURRENCY, async (i) => {
        staged.add(staging(i))
        const uploaded = await storage.upload(staging(i), (files[i] as FolderFile).absolutePath, { signal, deferSync: true, unpublished: true })
        digests[i] = uploaded.digest
        sizes[i] = uploaded.size
        progress(uploaded.size)
      })
      await lease?.hold([...new Set(large.map((i) => blobLocation(digests[i] as ContentDigest)))], signal)
      await runPool(large, LOCAL_FOLDER_CONCURRENCY, async (i) => {
        const location = blobLocation(digests[i] as ContentDigest)
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
    // Moved in order and dropped from `pending` as they go: a failure leaves only the rest to remove.
    while (pending.length > 0) {
      const moves = pending.splice(0, BATCH_FILES)
      try {
        await runPool(moves, LOCAL_FOLDER_CONCURRENCY, (i) => storage.move(temporaryOf(i), blobLocation(digests[i] as ContentDigest), { deferSync: true }))
      } catch (error) {
        pending.push(...moves)
        throw error
      }
    }
    await storage.sync()
  } catch (error) {
    const leftovers = [...pending.map(temporaryOf), ...pendingStaged, ...staged]
    await runPool(leftovers, LOCAL_FOLDER_CONCURRENCY, (from) => storage.delete(from)).catch(() => {
      // Left for gc: temporary and staging objects are removed once old.
    })
    throw error
  }
  const manifest = new ManifestBuilder()
  for (const [i, file] of files.entries()) manifest.add(file.path, sizes[i] as number, digests[i] as ContentDigest)
  return manifest
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/** A regular file's bytes when it holds at most SMALL_FILE_BYTES, read with synchronous calls (see hashFile); else undefined. */
function readIfSmall(path: string): Buffer | undefined {
  let fd: number
  try {
    fd = openSync(path, READ_NO_WAIT)
  } catch (cause) {
    throw new InvalidInputError(`folder file ${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause })
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) throw new InvalidInputError(`folder file ${path} is no longer a regular file`)
    if (info.size > SMALL_FILE_BYTES) return undefined
    const buffer = Buffer.allocUnsafe(info.size + 1)
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
