import { Worker } from 'node:worker_threads'
import { BackendUnavailableError, InvalidInputError } from '../errors/index.js'
import type { FolderListing } from './folder-manifest.js'

/**
 * The small files of a folder put, read, hashed, written and renamed on worker threads, for a
 * storage whose objects are files here (Storage.prepareLocalWrites). Why threads: a put of 10⁵
 * small files is bound by per-file system calls (two opens, a read, a write, a stat, a rename,
 * closes), each a few microseconds of kernel time and as much again of Node's own on this VM;
 * on one thread a put took 2.3 × `cp -r` + `sha256sum` with no disk in the way (tmpfs) and
 * 3.2 × on the disk (BENCHMARKS.md, folder-many). The main thread keeps what must be in order:
 * the registry's holds, which digest is whose first, and the syncs.
 *
 * The threads only carry out steps folder-store.ts orders, in its order: read and hash a batch;
 * then, once the batch's blob locations are held, write each first occurrence whose blob is
 * missing to its temporary name; later, rename those into place.
 */

export const PUT_THREADS = 4
/** Below this many files a thread costs more to start than it saves. */
export const THREADED_PUT_MIN_FILES = 512

// Inline CommonJS with no imports of ours, so that it runs the same from dist and from src under
// the tests (as threaded-copy-out.ts). Each thread keeps the bytes of the files it read last in
// one growing buffer, until it is told to write them.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { dirname } = require('node:path')
const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
const sha256 = typeof crypto.hash === 'function' ? (b) => crypto.hash('sha256', b, 'buffer') : (b) => crypto.createHash('sha256').update(b).digest()
// Two slots, so that the next batch is read while the registry holds this one's blobs: each
// with its bytes in one growing buffer, each file's offset in it and its size (-1: large, not read).
const slots = [{ arena: Buffer.allocUnsafeSlow(1 << 20), starts: [], sizes: [] }, { arena: Buffer.allocUnsafeSlow(1 << 20), starts: [], sizes: [] }]
let arena
function room(needed) {
  if (arena.length >= needed) return
  const next = Buffer.allocUnsafeSlow(Math.max(needed, arena.length * 2))
  arena.copy(next)
  arena = next
}
function readOne(path, ino, dev, offset, max, budget) {
  let fd
  try {
    fd = fs.openSync(path, READ)
  } catch (error) {
    // The listing gave its real path: a link there now was put in its place since (see folder-store.ts's READ_LISTED).
    if (error.code === 'ELOOP') return { problem: 'was replaced by a link since it was listed' }
    return { problem: 'cannot be read (' + (error.code || error.message) + ')' }
  }
  try {
    const info = fs.fstatSync(fd)
    if (!info.isFile()) return { problem: 'is no longer a regular file' }
    // As folder-store.ts's sameAsListed: the file listed, not one a link on its path leads to.
    if (info.ino !== ino || info.dev !== dev) return { problem: 'was replaced since it was listed (a folder on its path by a link, or the file by another)' }
    // Past the slot's budget (a file grown since the listing that sized the batch): the
    // large-file path, which streams, takes it.
    if (info.size > max || offset + info.size > budget) return { large: true }
    room(offset + info.size + 1)
    let filled = 0
    for (;;) {
      const read = fs.readSync(fd, arena, offset + filled, info.size + 1 - filled, null)
      if (read === 0) return { size: filled }
      filled += read
      // It grew since the stat: the large-file path reads whatever it holds (as folder-store.ts).
      if (filled === info.size + 1) return { large: true }
    }
  } finally {
    fs.closeSync(fd)
  }
}
// Paths come joined by NUL (which no path holds): one string to copy between threads, not 10⁴.
function read({ joined, identities, max, budget, slot }) {
  const paths = joined.split('\0')
  const digests = Buffer.alloc(paths.length * 32)
  const starts = new Array(paths.length)
  const sizes = new Array(paths.length)
  arena = slots[slot].arena
  let offset = 0
  for (let k = 0; k < paths.length; k++) {
    const got = readOne(paths[k], identities[2 * k], identities[2 * k + 1], offset, max, budget)
    if (got.problem) return { problem: { index: k, message: got.problem } }
    if (got.large) {
      sizes[k] = -1
      continue
    }
    starts[k] = offset
    sizes[k] = got.size
    sha256(arena.subarray(offset, offset + got.size)).copy(digests, k * 32)
    offset += got.size
  }
  slots[slot] = { arena, starts, sizes }
  return { digests, sizes }
}
function writeOne({ arena, starts, sizes }, k, temporary, blob, mode) {
  // A blob already whole at its address (another put's, or an earlier one of this content).
  const there = fs.statSync(blob, { throwIfNoEntry: false })
  if (there && there.isFile() && there.size === sizes[k]) return 0
  let fd
  try {
    fd = fs.openSync(temporary, 'wx', mode)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
    fs.mkdirSync(dirname(temporary), { recursive: true })
    fd = fs.openSync(temporary, 'wx', mode)
  }
  try {
    let written = 0
    while (written < sizes[k]) written += fs.writeSync(fd, arena, starts[k] + written, sizes[k] - written)
  } finally {
    fs.closeSync(fd)
  }
  return 1
}
// A blob's temporary name is its path and the put's suffix.
function write({ slot, indexes, joined, suffix, mode }) {
  const blobs = joined.split('\0')
  const written = new Uint8Array(blobs.length)
  for (let n = 0; n < blobs.length; n++) written[n] = writeOne(slots[slot], indexes[n], blobs[n] + suffix, blobs[n], mode)
  return { written }
}
function move({ joined, suffix }) {
  const blobs = joined.split('\0')
  for (let n = 0; n < blobs.length; n++) {
    try {
      fs.renameSync(blobs[n] + suffix, blobs[n])
    } catch (error) {
      return { moved: n, problem: { index: n, message: error.code || error.message } }
    }
  }
  return { moved: blobs.length }
}
const ops = { read, write, move }
parentPort.on('message', (message) => {
  try {
    parentPort.postMessage({ id: message.id, ...ops[message.op](message) })
  } catch (error) {
    parentPort.postMessage({ id: message.id, failed: { message: String((error && error.message) || error), code: error && error.code } })
  }
})
`

/** Small heaps: a thread holds one slice of a batch's bytes (outside its heap) and little else. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 }

interface Answer {
  id: number
  digests?: Uint8Array
  sizes?: number[]
  written?: Uint8Array
  moved?: number
  problem?: { index: number; message: string }
  failed?: { message: string; code?: string }
}

interface Waiting {
  resolve: (answer: Answer) => void
  reject: (error: unknown) => void
}

/** A few threads, each answering its requests in the order they were made; `close` stops them all. */
export class PutThreads {
  private readonly workers: Worker[]
  private readonly waiting: Array<Map<number, Waiting>>
  private nextId = 0

  /** Why a thread can no longer answer, once it has failed or stopped. */
  private readonly dead: unknown[]

  constructor(count = PUT_THREADS) {
    this.waiting = Array.from({ length: count }, () => new Map())
    this.dead = new Array(count).fill(undefined)
    this.workers = []
    try {
      for (let t = 0; t < count; t++) this.workers.push(this.start(t))
    } catch (error) {
      // None left running: a started thread would keep the process alive.
      for (const worker of this.workers) void worker.terminate()
      throw error
    }
  }

  private start(t: number): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS })
    const waiting = this.waiting[t] as Map<number, Waiting>
    const failAll = (error: unknown) => {
      // Later requests fail at once: a message to a stopped thread is never answered.
      this.dead[t] ??= error
      for (const w of waiting.values()) w.reject(error)
      waiting.clear()
    }
    worker.on('message', (answer: Answer) => {
      const w = waiting.get(answer.id)
      waiting.delete(answer.id)
      if (answer.failed) w?.reject(fileSystemError(answer.failed))
      else w?.resolve(answer)
    })
    worker.on('error', failAll)
    worker.on('exit', () => failAll(new Error('folder put: a thread stopped')))
    return worker
  }

  get count(): number {
    return this.workers.length
  }

  /**
   * Reads and hashes the listed files `indexes` of `files` on thread `t`, which keeps their bytes
   * in `slot` for a `write`: each file's sha256 (32 bytes) and size, -1 for a file larger than
   * `max`, or past `budget` bytes of the slot (left to the caller). InvalidInputError for a file
   * that cannot be read, is no longer a regular file, or is not the one listed.
   */
  async read(t: number, slot: 0 | 1, files: FolderListing, indexes: number[], max: number, budget: number): Promise<{ digests: Uint8Array; sizes: number[] }> {
    const paths = indexes.map((i) => files.absolutePath(i))
    // Each file's inode and device as listed: the thread checks what it opened against them.
    const identities = new Float64Array(indexes.length * 2)
    indexes.forEach((i, k) => {
      identities[2 * k] = files.inode(i)
      identities[2 * k + 1] = files.device(i)
    })
    const answer = await this.ask(t, { op: 'read', slot, joined: paths.join('\0'), identities, max, budget })
    if (answer.problem) throw new InvalidInputError(`folder file ${paths[answer.problem.index]} ${answer.problem.message}`)
    return { digests: answer.digests as Uint8Array, sizes: answer.sizes as number[] }
  }

  /**
   * Writes files of thread `t`'s last read into `slot`, by their index in it (`indexes[n]` to the blob file
   * `blobs[n]`), each to its temporary name (`blobs[n] + suffix`) unless its blob is already
   * there whole, with `mode` (see Storage.prepareLocalWrites); answers, per item, whether it
   * wrote one. Nothing is synced.
   */
  async write(t: number, slot: 0 | 1, indexes: number[], blobs: string[], suffix: string, mode: number | undefined): Promise<Uint8Array> {
    const answer = await this.ask(t, { op: 'write', slot, indexes: Int32Array.from(indexes), joined: blobs.join('\0'), suffix, mode: mode ?? 0o666 })
    return answer.written as Uint8Array
  }

  /** Renames each blob file's temporary name (`blob + suffix`) to it on thread `t`, in order; stops at the first failure, which it throws. */
  async move(t: number, blobs: string[], suffix: string): Promise<void> {
    const answer = await this.ask(t, { op: 'move', joined: blobs.join('\0'), suffix })
    if (answer.problem) {
      const blob = blobs[answer.problem.index] as string
      throw fileSystemError({ message: `rename of ${blob}${suffix} into place`, code: answer.problem.message })
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }

  private ask(t: number, message: object): Promise<Answer> {
    const id = this.nextId++
    if (this.dead[t] !== undefined) return Promise.reject(this.dead[t])
    return new Promise((resolve, reject) => {
      ;(this.waiting[t] as Map<number, Waiting>).set(id, { resolve, reject })
      ;(this.workers[t] as Worker).postMessage({ id, ...message })
    })
  }
}

/**
 * A thread's failed system call as the storage's own writes report one (storage-local's
 * wrapFileSystemError): the disk full, a quota, a permission or an I/O error is the backend's.
 */
function fileSystemError(failed: { message: string; code?: string }): Error {
  const cause = Object.assign(new Error(failed.message), failed.code === undefined ? {} : { code: failed.code })
  return new BackendUnavailableError('local', `folder put: ${failed.message}${failed.code && !failed.message.includes(failed.code) ? ` (${failed.code})` : ''}`, { cause })
}
