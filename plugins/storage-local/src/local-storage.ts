import { type FileHandle, mkdir, open, rm, stat, unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  assertDigest,
  commitFile,
  copyHashing,
  type DownloadOptions,
  type DownloadResult,
  IntegrityError,
  InvalidInputError,
  NotFoundError,
  type OpenOptions,
  type Storage,
  type StorageCapabilities,
  type StorageObjectInfo,
  temporaryPathFor,
  type UploadOptions,
  type UploadResult,
} from '@assets/core'
import { errnoCode, wrapFileSystemError } from './file-system-error.js'
import type { LocalStorageOptions } from './local-options.js'
import { locationPath, prefixFolder } from './location-path.js'
import { walkFiles } from './walk-files.js'

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
    const total = typeof source === 'string' ? await sourceFileSize(source) : options.size
    const temporary = temporaryPathFor(path)
    let written: Awaited<ReturnType<typeof copyHashing>>
    try {
      await this.createRoot()
      const mode = this.shared ? undefined : PRIVATE_FILE_MODE
      written = await copyHashing(source, temporary, { signal: options.signal, onProgress: options.onProgress, total, mode })
      checkWritten(location, written, options)
      await commitFile(temporary, path)
    } catch (error) {
      // The original failure is the one worth reporting; a leftover temporary file is listed, so gc removes it.
      await rm(temporary, { force: true }).catch(() => {})
      throw wrapFileSystemError(`upload to ${location}`, error)
    }
    const info = await stat(path).catch(() => undefined)
    return { location, size: written.size, digest: written.digest, lastModified: info?.mtime }
  }

  async download(location: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const path = locationPath(this.root, location)
    options.signal?.throwIfAborted()
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
      const info = await stat(path)
      return info.isFile() ? { location, size: info.size, lastModified: info.mtime } : null
    } catch (error) {
      if (isMissing(error)) return null
      throw wrapFileSystemError(`stat of ${location}`, error)
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = locationPath(this.root, from)
    const destination = locationPath(this.root, to)
    if ((await this.stat(from)) === null) throw new NotFoundError(`local: cannot move ${from}: no such object`)
    try {
      await commitFile(source, destination)
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`local: cannot move ${from}: no such object`, { cause: error })
      throw wrapFileSystemError(`move of ${from} to ${to}`, error)
    }
  }

  async delete(location: string): Promise<void> {
    const path = locationPath(this.root, location)
    try {
      await unlink(path)
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

async function sourceFileSize(source: string): Promise<number> {
  try {
    const info = await stat(source)
    if (info.isFile()) return info.size
  } catch (error) {
    if (!isMissing(error)) throw wrapFileSystemError(`stat of upload source ${source}`, error)
  }
  throw new InvalidInputError(`local: upload source ${source} is not a readable file`)
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
