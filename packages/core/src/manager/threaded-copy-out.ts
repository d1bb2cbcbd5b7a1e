import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { LinkKind } from '../contracts/storage.js'
import { blobLocation, type ContentDigest } from '../digest.js'
import { BackendUnavailableError, IntegrityError } from '../errors/index.js'
import { NO_HARDLINK_CODES, NO_REFLINK_CODES } from '../link-errors.js'
import { BATCH_FILES, runBatchesOnThreads } from './thread-batches.js'
import { FILE_READ_SOURCE } from './thread-file-read.js'

/**
 * A folder's small files copied to the caller's own copy on worker threads: from a local
 * storage's blobs (content-store.ts, a cold get --out or a cache fill), each hashed and checked
 * against the manifest before it is written (or, filling a cache that takes links, linked once
 * checked), or from a sealed cache entry (copy-out.ts, a warm one), copied as it is. Either way
 * each source is opened without following a link, a regular file only, and written to a new
 * file. Why threads: a folder of 10⁵ small files is bound by per-file system
 * calls, and by disk latency where the sources are not in the page cache (a VM reclaims idle
 * page cache); one thread issues them one at a time, four keep the disk and both cores busy.
 * Measured on the 2-core machine, each half of the benchmark's 10⁵-file folder: 12.3 s on one
 * thread against 7.4 s on four with the blobs on disk, 6.7 against 5.2 s from the page cache
 * (BENCHMARKS.md, folder-many). Linking 10⁵ files one at a time on the event loop (storage-local's
 * linkTo each, then a hash of each) took 38 s on tmpfs for a regular user's cold get; on the
 * threads, 4.4 s.
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
const { maxBytes, keepMode, link, uid, dev, sealMode } = workerData
const LEFT = -1
/** The batch's identities: size, mtime, inode, mode and links of each file sealed, NaN for the others. */
let ids
/** The identity of file k of the batch from a stat taken once it is complete and sealed. */
function note(k, info) {
  ids.set([info.size, info.mtimeMs, info.ino, info.mode & 0o7777, info.nlink], 5 * k)
}
// What a clone or a hard link answers where it cannot be made (link-errors.ts, as storage-local's linkTo).
const NO_REFLINK = new Set(${JSON.stringify(NO_REFLINK_CODES)})
const NO_HARDLINK = new Set(${JSON.stringify(NO_HARDLINK_CODES)})
/** The source opened without following a link, or what its absence means. */
function openSource(from, checked) {
  try {
    return fs.openSync(from, READ)
  } catch (error) {
    if (checked && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return { missing: true }
    if (error.code === 'ELOOP') return { wrong: 'is a link, not a regular file' }
    throw error
  }
}
/** Undefined when bytes (read one past size) are the manifest's, else the problem. */
function mismatch(bytes, size, digest) {
  const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
  if (bytes.length !== size || actual !== digest) return { wrong: 'holds ' + bytes.length + ' bytes with digest ' + actual + ', expected ' + size + ' bytes with ' + digest }
  return undefined
}
/**
 * The blob at to without a copy (link is 'reflink' or 'hardlink', as the folder's first file
 * was linked: the answer is the same for the rest), verified: size, LEFT where this file cannot
 * be linked (the caller copies it), or a problem. A hard link as storage-local's linkTo makes
 * one: only of our own file on the destination's filesystem, made read-only first through the
 * descriptor (the file checked), and only that inode goes out (the name may have been swapped).
 */
function linkOne(k, from, to, size, digest) {
  const fd = openSource(from, true)
  if (typeof fd !== 'number') return fd
  try {
    const info = fs.fstatSync(fd)
    if (!info.isFile()) return { wrong: 'is not a regular file' }
    if (link === 'hardlink') {
      if (info.dev !== dev || (uid !== -1 && info.uid !== uid)) return LEFT
      if ((info.mode & 0o222) !== 0) fs.fchmodSync(fd, info.mode & 0o7555)
      const wrong = mismatch(readUpTo(fd, size + 1), size, digest)
      if (wrong) return wrong
      try {
        fs.linkSync(from, to)
      } catch (error) {
        if (NO_HARDLINK.has(error.code)) return LEFT
        throw error
      }
      const linked = fs.lstatSync(to)
      if (linked.ino !== info.ino) {
        fs.unlinkSync(to)
        return LEFT
      }
      if (sealMode >= 0) note(k, linked)
      return size
    }
    try {
      fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE_FORCE)
    } catch (error) {
      if (!NO_REFLINK.has(error.code)) throw error
      fs.rmSync(to, { force: true })
      return LEFT
    }
    // The clone is what the cache keeps: its bytes are the ones checked, then it is sealed.
    const clone = fs.openSync(to, READ)
    let wrong
    try {
      wrong = mismatch(readUpTo(clone, size + 1), size, digest)
      if (!wrong && sealMode >= 0) {
        fs.fchmodSync(clone, sealMode)
        note(k, fs.fstatSync(clone))
      }
    } finally {
      fs.closeSync(clone)
    }
    if (wrong) fs.unlinkSync(to)
    return wrong ?? size
  } finally {
    fs.closeSync(fd)
  }
}
/** The bytes written, LEFT, or a problem. */
function copy(k, from, to, size, digest) {
  const checked = digest !== ''
  if (link && checked) return linkOne(k, from, to, size, digest)
  const fd = openSource(from, checked)
  if (typeof fd !== 'number') return fd
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
    const wrong = mismatch(bytes, size, digest)
    if (wrong) return wrong
  } else if (bytes.length !== size) {
    return { wrong: 'shrank while it was copied (' + size + ' bytes, then ' + bytes.length + ')' }
  }
  const out = fs.openSync(to, 'wx', mode)
  try {
    let written = 0
    while (written < bytes.length) written += fs.writeSync(out, bytes, written, bytes.length - written)
    // Sealed only once complete: a file cut short by a kill stays writable, for the resume
    // that fetches the rest of it.
    if (checked && sealMode >= 0) {
      fs.fchmodSync(out, sealMode)
      note(k, fs.fstatSync(out))
    }
  } finally {
    fs.closeSync(out)
  }
  return bytes.length
}
parentPort.on('message', (files) => {
  let bytes = 0
  const left = []
  ids = new Float64Array(sealMode >= 0 ? (5 * files.length) / 4 : 0).fill(Number.NaN)
  for (let i = 0; i < files.length; i += 4) {
    let result
    try {
      result = copy(i / 4, files[i], files[i + 1], files[i + 2], files[i + 3])
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
  parentPort.postMessage({ bytes, left, ids }, [ids.buffer])
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
  /**
   * Files with a digest are linked to their source instead of copied, as the folder's first
   * file was (storage-local's linkTo): a reflink, or a hard link to the blob made read-only.
   * Those that cannot be (another user's blob, another filesystem) are left to the caller.
   */
  link?: LinkKind
  /**
   * Files with a digest are sealed with this mode once complete (a cache's `sealedFileMode`),
   * and each one's identity, from a stat then, goes to `onSealed` with the file's index in
   * `files`: a copy or a clone gets the mode, a hard link keeps the blob's read-only one. What
   * the caller's cache would otherwise do in a pass of its own over the folder, a stat and a
   * chmod per file.
   */
  sealMode?: number
  onSealed?: (at: number, identity: Float64Array) => void
}

interface BatchAnswer {
  bytes?: number
  /** Indexes in the batch of files without a digest found larger than THREADED_COPY_MAX_BYTES. */
  left?: number[]
  /** With sealMode: five numbers per file of the batch (see onSealed), NaN for a file not sealed. */
  ids?: Float64Array
  index?: number
  problem?: { missing?: boolean; wrong?: string; failed?: string; code?: string }
}

/**
 * Copies (or with `link`, links) `files` on worker threads, each read from `sourceOf(file)`, and
 * answers the indexes in `files` of those it left to the caller (without a digest, found larger
 * than THREADED_COPY_MAX_BYTES; with `link`, those it could not link). The first
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
): Promise<number[]> {
  const left: number[] = []
  await runBatchesOnThreads<BatchAnswer>({
    source: WORKER_SOURCE,
    workerData: {
      maxBytes: THREADED_COPY_MAX_BYTES,
      keepMode: options.keepMode === true,
      link: options.link,
      // What a hard link needs (as storage-local's hardlinkable): a blob we own, on the destination's filesystem.
      uid: typeof process.geteuid === 'function' ? process.geteuid() : -1,
      dev: options.link === 'hardlink' ? statSync(destination).dev : -1,
      sealMode: options.sealMode ?? -1,
    },
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
      for (const at of answer.left ?? []) left.push(start + at)
      const ids = answer.ids
      if (ids && options.onSealed) {
        // Five numbers per file: size, mtime, inode, mode, links.
        for (let k = 0; 5 * k < ids.length; k++) if (!Number.isNaN(ids[5 * k])) options.onSealed(start + k, ids.subarray(5 * k, 5 * k + 5))
      }
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
