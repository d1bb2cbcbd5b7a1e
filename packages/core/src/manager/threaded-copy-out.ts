import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { ManifestEntry } from '../asset-record.js'
import { blobLocation } from '../digest.js'
import { IntegrityError } from '../errors/index.js'

/**
 * A folder's small files copied from a local storage's blobs to the caller's own copy on worker
 * threads: each reads a blob (opened without following a link, a regular file only), hashes it,
 * checks it against the manifest and only then writes it to a new file. Why threads: a folder
 * of 10⁵ small files is bound by per-file system calls, and by disk latency where the blobs are
 * not in the page cache (a VM reclaims idle page cache); one thread issues them one at a time,
 * four keep the disk and both cores busy. Measured on the 2-core machine, each half of the
 * benchmark's 10⁵-file folder: 12.3 s on one thread against 7.4 s on four with the blobs on
 * disk, 6.7 against 5.2 s from the page cache (BENCHMARKS.md, folder-many).
 */

/** Threads, and files per message: a batch amortises the message, many batches share the work evenly. */
const THREADS = 4
const BATCH_FILES = 256
/** Below this many files a thread costs more to start than it saves. */
export const THREADED_COPY_MIN_FILES = 512
/** Files up to this size are read whole into memory (as folder-store.ts reads them); larger ones are streamed on the event loop. */
export const THREADED_COPY_MAX_BYTES = 1 << 20

// Inline CommonJS with no imports of ours, so that it runs the same from dist and from src under
// the tests (as ordered-hash-worker.ts). A failure stops the thread's batch and names the file.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
// One buffer for every file (they are at most workerData.maxBytes): no allocation per file.
let buffer = Buffer.allocUnsafe(0)
function copy(from, to, size, digest) {
  let fd
  try {
    fd = fs.openSync(from, READ)
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return { missing: true }
    if (error.code === 'ELOOP') return { wrong: 'is a link, not a stored object' }
    throw error
  }
  let bytes
  try {
    if (!fs.fstatSync(fd).isFile()) return { wrong: 'is not a regular file' }
    // One byte more than the manifest says: a blob that grew is caught by its length.
    if (buffer.length < size + 1) buffer = Buffer.allocUnsafe(size + 1)
    let filled = 0
    for (;;) {
      const read = fs.readSync(fd, buffer, filled, size + 1 - filled, filled)
      if (read === 0) break
      filled += read
      if (filled === size + 1) break
    }
    bytes = buffer.subarray(0, filled)
  } finally {
    fs.closeSync(fd)
  }
  const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
  if (bytes.length !== size || actual !== digest) return { wrong: 'holds ' + bytes.length + ' bytes with digest ' + actual + ', expected ' + size + ' bytes with ' + digest }
  const out = fs.openSync(to, 'wx', 0o666)
  try {
    let written = 0
    while (written < bytes.length) written += fs.writeSync(out, bytes, written, bytes.length - written)
  } finally {
    fs.closeSync(out)
  }
  return null
}
parentPort.on('message', (files) => {
  let bytes = 0
  for (let i = 0; i < files.length; i += 4) {
    let problem
    try {
      problem = copy(files[i], files[i + 1], files[i + 2], files[i + 3])
    } catch (error) {
      problem = { failed: String((error && error.message) || error), code: error && error.code }
    }
    if (problem) {
      parentPort.postMessage({ index: i / 4, problem })
      return
    }
    bytes += files[i + 2]
  }
  parentPort.postMessage({ bytes })
})
`

/** A manifest's file: `path` under the destination, whose folders exist. */
type ThreadedFile = Pick<ManifestEntry, 'path' | 'size' | 'digest'>

/** Small heaps: a thread holds one batch and one file's bytes at a time. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 }

interface BatchAnswer {
  bytes?: number
  index?: number
  problem?: { missing?: boolean; wrong?: string; failed?: string; code?: string }
}

/**
 * Copies `files` on worker threads, each read from `localPath(blobLocation(digest))` and
 * verified before it is written; the first failure rejects (IntegrityError for a blob missing,
 * a link, or not matching its digest) once every thread has stopped, so that the caller can
 * remove what was written. Paths are made a batch at a time: 10⁵ of them held at once would
 * cost tens of MB.
 */
export async function copyOnThreads(
  files: readonly ThreadedFile[],
  destination: string,
  localPath: (location: string) => string,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
): Promise<void> {
  const batches = Math.ceil(files.length / BATCH_FILES)
  let next = 0
  let failure: unknown
  const workers: Worker[] = []
  const stop = () => {
    failure ??= options.signal?.reason ?? new Error('aborted')
    for (const worker of workers) void worker.terminate()
  }
  options.signal?.addEventListener('abort', stop, { once: true })
  try {
    options.signal?.throwIfAborted()
    await Promise.all(
      Array.from({ length: Math.min(THREADS, batches) }, async () => {
        let worker: Worker | undefined
        try {
          // Inside the try: a thread that cannot start fails the copy once every other thread
          // has stopped, so the caller never removes the folder while one still writes into it.
          worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS })
          workers.push(worker)
          while (failure === undefined && next < batches) {
            const start = BATCH_FILES * next++
            const batch = files.slice(start, start + BATCH_FILES)
            const answer = await runBatch(worker, batch.flatMap((f) => [localPath(blobLocation(f.digest)), join(destination, f.path), f.size, f.digest]))
            if (answer.problem) failure ??= problemError(batch[answer.index ?? 0] as ThreadedFile, destination, answer.problem)
            else options.onBytes?.(answer.bytes ?? 0)
          }
        } catch (error) {
          failure ??= error
        } finally {
          await worker?.terminate()
        }
      }),
    )
  } finally {
    options.signal?.removeEventListener('abort', stop)
  }
  if (failure !== undefined) throw failure
}

/** Posts one batch, flattened (blob file, destination file, size, digest per file), and waits for its answer. */
function runBatch(worker: Worker, batch: Array<string | number>): Promise<BatchAnswer> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
    }
    const onMessage = (answer: BatchAnswer) => {
      cleanup()
      resolve(answer)
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(error)
    }
    const onExit = () => {
      cleanup()
      reject(new Error('folder copy: a copying thread stopped'))
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.postMessage(batch)
  })
}

function problemError(file: ThreadedFile, destination: string, problem: NonNullable<BatchAnswer['problem']>): Error {
  const location = blobLocation(file.digest)
  if (problem.missing) return new IntegrityError(`${location} is registered but missing from storage`)
  if (problem.wrong !== undefined) return new IntegrityError(`${location} ${problem.wrong}`)
  const error = new Error(`folder copy to ${join(destination, file.path)}: ${problem.failed}`) as NodeJS.ErrnoException
  if (problem.code !== undefined) error.code = problem.code
  return error
}
