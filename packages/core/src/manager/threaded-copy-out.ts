import { join } from 'node:path'
import { blobLocation, type ContentDigest } from '../digest.js'
import { BackendUnavailableError, IntegrityError } from '../errors/index.js'
import { BATCH_FILES, runBatchesOnThreads } from './thread-batches.js'
import { FILE_READ_SOURCE } from './thread-file-read.js'

/**
 * A folder's small files copied to the caller's own copy on worker threads: from a local
 * storage's blobs (content-store.ts, a cold get --out), each hashed and checked against the
 * manifest before it is written, or from a sealed cache entry (copy-out.ts, a warm one), copied
 * as it is. Either way each source is opened without following a link, a regular file only, and
 * written to a new file. Why threads: a folder of 10⁵ small files is bound by per-file system
 * calls, and by disk latency where the sources are not in the page cache (a VM reclaims idle
 * page cache); one thread issues them one at a time, four keep the disk and both cores busy.
 * Measured on the 2-core machine, each half of the benchmark's 10⁵-file folder: 12.3 s on one
 * thread against 7.4 s on four with the blobs on disk, 6.7 against 5.2 s from the page cache
 * (BENCHMARKS.md, folder-many).
 */

/** Below this many files a thread costs more to start than it saves. */
export const THREADED_COPY_MIN_FILES = 512
/** Files up to this size are read whole into memory (as folder-store.ts reads them); larger ones are streamed on the event loop. */
export const THREADED_COPY_MAX_BYTES = 1 << 20

// Inline CommonJS with no imports of ours (FILE_READ_SOURCE is pasted in), so that it runs the
// same from dist and from src under the tests (as ordered-hash-worker.ts). A failure stops the
// thread's batch and names the file.
// A file given with no digest (size -1) is copied as it is, or left to the caller (LEFT) when
// larger than workerData.maxBytes: its size is known only once it is open, and a stat of each
// file on the main thread first would cost the per-file latency the threads are here to share.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
${FILE_READ_SOURCE}
const { maxBytes, keepMode } = workerData
const LEFT = -1
/** The bytes written, LEFT, or a problem. */
function copy(from, to, size, digest) {
  const checked = digest !== ''
  let fd
  try {
    fd = fs.openSync(from, READ)
  } catch (error) {
    if (checked && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return { missing: true }
    if (error.code === 'ELOOP') return { wrong: 'is a link, not a regular file' }
    throw error
  }
  let bytes
  let mode = 0o666
  try {
    const info = fs.fstatSync(fd)
    if (!info.isFile()) return { wrong: 'is not a regular file' }
    if (!checked) {
      if (info.size > maxBytes) return LEFT
      size = info.size
    }
    // The copy is the caller's: writable by its owner, whatever the source's read-only mode (as copy-out.ts's copyWritable).
    if (keepMode) mode = (info.mode & 0o777) | 0o200
    // With a digest, one byte more than the manifest says: a blob that grew is caught by its
    // length. Without, the size just taken, as copyWritable reads it: the extra read would be a
    // system call more per file, for a sealed entry that does not change.
    bytes = readUpTo(fd, checked ? size + 1 : size)
  } finally {
    fs.closeSync(fd)
  }
  if (checked) {
    const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
    if (bytes.length !== size || actual !== digest) return { wrong: 'holds ' + bytes.length + ' bytes with digest ' + actual + ', expected ' + size + ' bytes with ' + digest }
  } else if (bytes.length !== size) {
    return { wrong: 'shrank while it was copied (' + size + ' bytes, then ' + bytes.length + ')' }
  }
  const out = fs.openSync(to, 'wx', mode)
  try {
    let written = 0
    while (written < bytes.length) written += fs.writeSync(out, bytes, written, bytes.length - written)
  } finally {
    fs.closeSync(out)
  }
  return bytes.length
}
parentPort.on('message', (files) => {
  let bytes = 0
  const left = []
  for (let i = 0; i < files.length; i += 4) {
    let result
    try {
      result = copy(files[i], files[i + 1], files[i + 2], files[i + 3])
    } catch (error) {
      result = { failed: String((error && error.message) || error), code: error && error.code }
    }
    if (result === LEFT) left.push(i / 4)
    else if (typeof result === 'number') bytes += result
    else {
      parentPort.postMessage({ index: i / 4, problem: result })
      return
    }
  }
  parentPort.postMessage({ bytes, left })
})
`

/**
 * A file to copy: `path` under the destination, whose folders exist. With `size` and `digest`
 * (a manifest's file) it is checked before it is written; without, copied as it is, if it is at
 * most THREADED_COPY_MAX_BYTES.
 */
export type ThreadedFile = { path: string } & ({ size: number; digest: ContentDigest } | { size?: undefined; digest?: undefined })

export interface ThreadedCopyOptions {
  signal?: AbortSignal
  onBytes?: (bytes: number) => void
  /**
   * Each copy takes its source's permissions, plus write for its owner (a cache entry's file,
   * read-only); else it is made 0o666 less the umask (a blob's mode says nothing of the file's).
   */
  keepMode?: boolean
}

interface BatchAnswer {
  bytes?: number
  /** Indexes in the batch of files without a digest found larger than THREADED_COPY_MAX_BYTES. */
  left?: number[]
  index?: number
  problem?: { missing?: boolean; wrong?: string; failed?: string; code?: string }
}

/**
 * Copies `files` on worker threads, each read from `sourceOf(file)`, and answers the files it
 * left to the caller (without a digest, found larger than THREADED_COPY_MAX_BYTES). The first
 * failure rejects once every thread has stopped, so that the caller can remove what was
 * written: an IntegrityError for a source that is a link or not a regular file, for a file
 * with a digest whose source is missing or does not match it, and for one without whose
 * source shrank while it was read. Paths are made a batch at a time: 10⁵ of them held at
 * once would cost tens of MB.
 */
export async function copyOnThreads<F extends ThreadedFile>(
  files: readonly F[],
  destination: string,
  sourceOf: (file: F) => string,
  options: ThreadedCopyOptions = {},
): Promise<F[]> {
  const left: F[] = []
  await runBatchesOnThreads<BatchAnswer>({
    source: WORKER_SOURCE,
    workerData: { maxBytes: THREADED_COPY_MAX_BYTES, keepMode: options.keepMode === true },
    batches: Math.ceil(files.length / BATCH_FILES),
    // Flattened: source file, destination file, size or -1, digest or '' per file.
    message: (index) =>
      files.slice(BATCH_FILES * index, BATCH_FILES * (index + 1)).flatMap((f) => [sourceOf(f), join(destination, f.path), f.size ?? -1, f.digest ?? '']),
    answer: (index, answer) => {
      const start = BATCH_FILES * index
      if (answer.problem) {
        const file = files[start + (answer.index ?? 0)] as F
        return problemError(file, sourceOf(file), destination, answer.problem)
      }
      for (const at of answer.left ?? []) left.push(files[start + at] as F)
      options.onBytes?.(answer.bytes ?? 0)
      return undefined
    },
    signal: options.signal,
    stopped: 'folder copy: a copying thread stopped',
  })
  return left
}

/** The error for a file's problem, naming its stored object where it has a digest, else its source file. */
function problemError(file: ThreadedFile, source: string, destination: string, problem: NonNullable<BatchAnswer['problem']>): Error {
  const name = file.digest === undefined ? source : blobLocation(file.digest)
  if (problem.missing) return new IntegrityError(`${name} is registered but missing from storage`)
  if (problem.wrong !== undefined) return new IntegrityError(`${name} ${problem.wrong}`)
  // A failed system call (the disk full, a permission, an I/O error), reported as the storage's
  // own copies report one (storage-local's wrapFileSystemError).
  const cause = Object.assign(new Error(problem.failed), problem.code === undefined ? {} : { code: problem.code })
  return new BackendUnavailableError('local', `folder copy to ${join(destination, file.path)} failed (${problem.code ?? problem.failed})`, { cause })
}
