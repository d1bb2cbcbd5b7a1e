import { closeSync, constants, fstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { type FileHandle, mkdir, open, rm, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import {
  assertDigest,
  type ContentDigest,
  copyHashing,
  type DownloadOptions,
  type DownloadResult,
  IntegrityError,
  InvalidInputError,
  type LinkKind,
  type LinkOptions,
  NotFoundError,
  type OpenOptions,
  type Storage,
  type StorageCapabilities,
  type StorageObjectInfo,
  fsyncDirectory,
  syncFileSystem,
  temporaryPathFor,
  type UploadOptions,
  type UploadResult,
} from '@assets/core'
import { errnoCode, wrapFileSystemError } from './file-system-error.js'
import { linkObject } from './link-object.js'
import type { LocalStorageOptions } from './local-options.js'
import { locationPath, prefixFolder } from './location-path.js'
import { walkFiles } from './walk-files.js'
import { readAllSync, readIfSmall, SMALL_FILE_BYTES, writeSmall } from './whole-file.js'

/** Reading without waiting: opening a FIFO swapped in for a file would otherwise block the event loop. */
const READ_NO_WAIT = constants.O_RDONLY | constants.O_NONBLOCK

export const LOCAL_STORAGE_CAPABILITIES: Readonly<StorageCapabilities> = Object.freeze({
  write: true,
  delete: true,
  list: true,
  range: true,
  multipart: false,
  resumableUpload: false,
  presign: false,
  atomicMove: true,
})

const READ_CHUNK_BYTES = 1 << 20

// Owner-only unless the store is shared: the bytes of a private asset are no one else's to read.
const PRIVATE_FOLDER_MODE = 0o700
const PRIVATE_FILE_MODE = 0o600

/**
 * A store in a local folder. Every write goes to a temporary file beside its destination and is
 * renamed into place once complete and verified, so readers see whole objects or none.
 */
export class LocalStorage implements Storage {
  readonly name = 'local'
  readonly capabilities: StorageCapabilities = LOCAL_STORAGE_CAPABILITIES
  /** Absolute root folder; nothing is created until the first write. */
  readonly root: string
  /** Whether other OS users may read what it holds (as the umask says) or only its owner. */
  readonly shared: boolean
  #rootReady: Promise<void> | undefined
  /** Folders this instance has made or found (see ensureFolder). */
  readonly #folders = new Set<string>()

  constructor(options: LocalStorageOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new InvalidInputError('local: option "path" (the root folder of the store) is required')
    }
    this.root = resolve(options.path)
    this.shared = options.shared === true
  }

  async upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<UploadResult> {
    const path = locationPath(this.root, location)
    options.signal?.throwIfAborted()
    const small = typeof source === 'string' ? readSource(source) : await collectIfSmall(source, options.size)
    const total = small !== undefined ? small.size : options.size
    // An unpublished object (a staging name) is written where it goes: no one reads it meanwhile.
    const inPlace = options.unpublished === true && small?.bytes !== undefined
    const temporary = inPlace ? path : temporaryPathFor(path)
    // Deferred: the caller syncs the filesystem once for many objects (see sync()).
    const durable = options.deferSync !== true
    let written: { digest: ContentDigest; size: number }
    try {
      await this.createRoot()
      const mode = this.shared ? undefined : PRIVATE_FILE_MODE
      const bytes = small?.bytes
      if (bytes !== undefined) {
        written = this.inFolder(dirname(path), () => {
          const whole = writeSmall(temporary, bytes, { mode, sync: durable, exclusive: true })
          checkWritten(location, whole, options)
          if (!inPlace) renameSync(temporary, path)
          return whole
        })
        options.onProgress?.({ bytes: written.size, total })
      } else {
        written = await copyHashing(source, temporary, { signal: options.signal, onProgress: options.onProgress, total, mode, sync: durable })
        checkWritten(location, written, options)
        this.inFolder(dirname(path), () => renameSync(temporary, path))
      }
      if (durable) await fsyncDirectory(dirname(path))
    } catch (error) {
      // The original failure is the one worth reporting; a leftover temporary file is listed, so gc removes it.
      await rm(temporary, { force: true }).catch(() => {})
      throw wrapFileSystemError(`upload to ${location}`, error)
    }
    const info = durable ? await stat(path).catch(() => undefined) : undefined
    return { location, size: written.size, digest: written.digest, lastModified: info?.mtime }
  }

  /** One syncfs of the store's filesystem: every deferred upload and move so far is durable after it. */
  async sync(): Promise<void> {
    try {
      await syncFileSystem(this.root)
    } catch (error) {
      throw wrapFileSystemError('sync', error)
    }
  }

  async download(location: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const path = locationPath(this.root, location)
    options.signal?.throwIfAborted()
    const small = options.resume ? undefined : readSmallObject(path, location)
    if (small !== undefined) {
      try {
        // A new file (exclusive): a write through an existing name could reach another file (a
        // link), so one there is removed first, and a missing folder is made, each only when met.
        const write = () => writeSmall(destPath, small, { sync: options.deferSync !== true, exclusive: true })
        let written: ReturnType<typeof write>
        try {
          written = write()
        } catch (error) {
          if (errnoCode(error) === 'EEXIST') unlinkIfPresent(destPath)
          else if (errnoCode(error) === 'ENOENT') mkdirSync(dirname(destPath), { recursive: true })
          else throw error
          written = write()
        }
        options.onProgress?.({ bytes: written.size, total: written.size })
        return written
      } catch (error) {
        throw wrapFileSystemError(`download of ${location}`, error)
      }
    }
    const handle = await openObject(path, location)
    try {
      const { size } = await handle.stat()
      const offset = options.resume ? await resumeOffset(destPath, size) : 0
      // Reading through the handle opened above keeps the whole transfer on one version of the
      // object even if an upload replaces it meanwhile.
      const input = handle.createReadStream({ start: offset, autoClose: false, highWaterMark: READ_CHUNK_BYTES })
      const written = await copyHashing(input, destPath, {
        append: offset > 0,
        signal: options.signal,
        onProgress: options.onProgress,
        total: size - offset,
        sync: options.deferSync !== true,
      })
      // A resumed file was only partly hashed here, so its digest is the caller's to compute.
      return offset > 0 ? { size: offset + written.size } : { size: written.size, digest: written.digest }
    } catch (error) {
      throw wrapFileSystemError(`download of ${location}`, error)
    } finally {
      await handle.close()
    }
  }

  open(location: string, options: OpenOptions = {}): AsyncIterable<Uint8Array> {
    return this.readRange(location, options)
  }

  async stat(location: string): Promise<StorageObjectInfo | null> {
    const path = locationPath(this.root, location)
    try {
      // Synchronous: a metadata call, cheaper than a thread-pool hop (see whole-file.ts).
      // No exception for a missing object (most blobs of a new folder): building one costs more than the stat.
      const info = statSync(path, { throwIfNoEntry: false })
      return info?.isFile() ? { location, size: info.size, lastModified: info.mtime } : null
    } catch (error) {
      if (isMissing(error)) return null
      throw wrapFileSystemError(`stat of ${location}`, error)
    }
  }

  async move(from: string, to: string, options: { deferSync?: boolean } = {}): Promise<void> {
    const source = locationPath(this.root, from)
    const destination = locationPath(this.root, to)
    // A rename of a folder would move every object in it: only a file is an object. A deferred
    // move is a folder put's own temporary file, just written: its check is the rename's ENOENT.
    if (options.deferSync !== true && (await this.stat(from)) === null) throw new NotFoundError(`local: cannot move ${from}: no such object`)
    try {
      this.inFolder(dirname(destination), () => renameSync(source, destination))
      if (options.deferSync !== true) await fsyncDirectory(dirname(destination))
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`local: cannot move ${from}: no such object`, { cause: error })
      throw wrapFileSystemError(`move of ${from} to ${to}`, error)
    }
  }

  /**
   * The object's bytes at `destPath` without a copy: a reflink where the filesystem clones,
   * else (when `options.hardlink`) a hard link to the object made read-only; null on another
   * filesystem, or for a file of another user.
   */
  linkTo(location: string, destPath: string, options: LinkOptions): Promise<LinkKind | null> {
    return linkObject(locationPath(this.root, location), location, destPath, options)
  }

  /** The file that holds `location`, for a caller that reads many objects directly (see Storage.localPath). */
  localPath(location: string): string {
    return locationPath(this.root, location)
  }

  /** Its root made, and the mode of the files it makes (see Storage.prepareLocalWrites). */
  async prepareLocalWrites(): Promise<{ fileMode?: number }> {
    await this.createRoot()
    return this.shared ? {} : { fileMode: PRIVATE_FILE_MODE }
  }

  async delete(location: string): Promise<void> {
    const path = locationPath(this.root, location)
    try {
      unlinkSync(path)
    } catch (error) {
      // A folder at the location holds other objects; it is not an object, so there is nothing to delete.
      if (isMissing(error) || errnoCode(error) === 'EISDIR') return
      throw wrapFileSystemError(`delete of ${location}`, error)
    }
  }

  async *list(prefix: string): AsyncIterable<StorageObjectInfo> {
    const folder = prefixFolder(prefix)
    try {
      for await (const file of walkFiles(this.root, folder)) {
        if (file.location.startsWith(prefix)) {
          yield { location: file.location, size: file.stats.size, lastModified: file.stats.mtime }
        }
      }
    } catch (error) {
      throw wrapFileSystemError(`list of ${JSON.stringify(prefix)}`, error)
    }
  }

  async close(): Promise<void> {}

  /**
   * Runs `write` (which creates files in `folder`) with the folder made once per process: a
   * folder of many files would otherwise pay a mkdir for each. The store never removes folders
   * (delete unlinks files only); one removed by hand shows as ENOENT, and is made again.
   */
  private inFolder<T>(folder: string, write: () => T): T {
    if (!this.#folders.has(folder)) {
      mkdirSync(folder, { recursive: true })
      this.#folders.add(folder)
    }
    try {
      return write()
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error
      mkdirSync(folder, { recursive: true })
      return write()
    }
  }

  /**
   * Makes the root (and any missing folder above it) owner-only before the first object goes
   * in, so that nothing under it is reachable by other users whatever the modes below. A root
   * that already exists keeps its mode: someone chose it.
   */
  private createRoot(): Promise<void> {
    this.#rootReady ??= mkdir(this.root, { recursive: true, ...(this.shared ? {} : { mode: PRIVATE_FOLDER_MODE }) }).then(
      () => undefined,
      (error: unknown) => {
        this.#rootReady = undefined
        throw error
      },
    )
    return this.#rootReady
  }

  private async *readRange(location: string, options: OpenOptions): AsyncGenerator<Uint8Array> {
    const path = locationPath(this.root, location)
    const start = checkOffset('start', options.start) ?? 0
    const requestedEnd = checkOffset('end', options.end)
    if (requestedEnd !== undefined && start > requestedEnd) {
      throw new InvalidInputError(`local: open ${location}: start (${start}) is after end (${requestedEnd})`)
    }
    options.signal?.throwIfAborted()
    const small = readSmallObject(path, location)
    if (small !== undefined) {
      const end = Math.min(requestedEnd ?? small.length, small.length)
      if (start < end) yield small.subarray(start, end)
      return
    }
    const handle = await openObject(path, location)
    let streaming = false
    try {
      const { size } = await handle.stat()
      const end = Math.min(requestedEnd ?? size, size)
      if (start >= end) return
      // Node's `end` is inclusive; ours is exclusive like Uint8Array.slice.
      const stream = handle.createReadStream({ start, end: end - 1, highWaterMark: READ_CHUNK_BYTES })
      streaming = true
      for await (const chunk of stream) {
        options.signal?.throwIfAborted()
        yield chunk as Buffer
      }
    } catch (error) {
      throw wrapFileSystemError(`read of ${location}`, error)
    } finally {
      // Once streaming, the stream owns the handle and closes it when it ends or is destroyed.
      if (!streaming) await handle.close()
    }
  }
}

function checkOffset(name: 'start' | 'end', value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`local: open: ${name} must be a non-negative integer, got ${value}`)
  }
  return value
}

function checkWritten(location: string, written: { digest: string; size: number }, expected: UploadOptions): void {
  if (expected.digest !== undefined) {
    assertDigest(`local: upload to ${location}`, written, { digest: expected.digest, size: expected.size })
  } else if (expected.size !== undefined && written.size !== expected.size) {
    throw new IntegrityError(`local: upload to ${location}: expected ${expected.size} bytes, got ${written.size}`)
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path)
  } catch (error) {
    if (!isMissing(error)) throw error
  }
}

/** A stream's bytes when its announced size is small (see whole-file.ts): written in one piece. */
async function collectIfSmall(source: AsyncIterable<Uint8Array>, size: number | undefined): Promise<{ bytes: Buffer; size: number } | undefined> {
  if (size === undefined || size > SMALL_FILE_BYTES) return undefined
  const chunks: Uint8Array[] = []
  let received = 0
  for await (const chunk of source) {
    received += chunk.length
    // More than announced: refused before it can fill memory (checkWritten would refuse it too).
    if (received > size) throw new IntegrityError(`local: upload: expected ${size} bytes, got more`)
    chunks.push(chunk)
  }
  const bytes = chunks.length === 1 ? Buffer.from((chunks[0] as Uint8Array).buffer, (chunks[0] as Uint8Array).byteOffset, (chunks[0] as Uint8Array).byteLength) : Buffer.concat(chunks)
  return { bytes, size: bytes.length }
}

/** An upload source's bytes when small (see whole-file.ts), else its size; a source that is not a readable file is refused. */
function readSource(source: string): { bytes?: Buffer; size: number } {
  let read: { bytes?: Buffer; size: number } | null
  try {
    read = readIfSmall(source)
  } catch (error) {
    if (!isMissing(error) && errnoCode(error) !== 'EISDIR') throw wrapFileSystemError(`read of upload source ${source}`, error)
    read = null
  }
  if (read === null) throw new InvalidInputError(`local: upload source ${source} is not a readable file`)
  return read
}

/** A small object's bytes, read with synchronous calls; undefined for a larger one. NotFoundError when absent. */
function readSmallObject(path: string, location: string): Buffer | undefined {
  let fd: number
  try {
    fd = openSync(path, READ_NO_WAIT)
  } catch (error) {
    if (isMissing(error)) throw new NotFoundError(`local: no object at ${location}`, { cause: error })
    throw wrapFileSystemError(`open of ${location}`, error)
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) throw new NotFoundError(`local: no object at ${location} (it is a folder)`)
    return info.size <= SMALL_FILE_BYTES ? readAllSync(fd, info.size) : undefined
  } finally {
    closeSync(fd)
  }
}

/** Opens the file behind a location for reading; a folder or nothing there is NotFoundError. */
async function openObject(path: string, location: string): Promise<FileHandle> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if (isMissing(error)) throw new NotFoundError(`local: no object at ${location}`, { cause: error })
    throw wrapFileSystemError(`open of ${location}`, error)
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close()
    throw new NotFoundError(`local: no object at ${location} (it is a folder)`)
  }
  return handle
}

/** Where a resumed download continues: the partial file's size, when it is a proper prefix. */
async function resumeOffset(destPath: string, objectSize: number): Promise<number> {
  try {
    const info = await stat(destPath)
    return info.isFile() && info.size > 0 && info.size < objectSize ? info.size : 0
  } catch {
    return 0
  }
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error)
  return code === 'ENOENT' || code === 'ENOTDIR'
}
