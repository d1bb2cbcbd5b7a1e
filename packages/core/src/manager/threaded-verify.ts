import { Worker } from 'node:worker_threads'
import type { ManifestEntry } from '../asset-record.js'
import { blobLocation } from '../digest.js'
import { BackendUnavailableError } from '../errors/index.js'

/**
 * A folder's small files checked against the manifest on worker threads, each read straight
 * from a local storage's blob file (opened without following a link, a regular file only) and
 * hashed there. Why threads: as for the copy out (threaded-copy-out.ts), a folder of 10⁵ small
 * files is bound by per-file system calls and hashing; the event loop issues them one at a
 * time, four threads keep the disk and both cores busy. Unlike the copy, a damaged file does
 * not stop the run: verify reports every one.
 */

/** Threads, and files per message: a batch amortises the message, many batches share the work evenly. */
const THREADS = 4
const BATCH_FILES = 256
/** Below this many files a thread costs more to start than it saves. */
export const THREADED_VERIFY_MIN_FILES = 512
/** Files up to this size are read whole into one buffer per thread; larger ones are streamed on the event loop. */
export const THREADED_VERIFY_MAX_BYTES = 1 << 20

// Inline CommonJS with no imports of ours, so that it runs the same from dist and from src under
// the tests (as threaded-copy-out.ts). A batch answers every damaged file of it; a failure to
// read (EACCES, EIO) is not damage the manifest can describe: it stops the batch and names the file.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
// One buffer for every file (they are at most a MiB): no allocation per file.
let buffer = Buffer.allocUnsafe(0)
function check(path, size, digest) {
  let fd
  try {
    fd = fs.openSync(path, READ)
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return ['missing']
    if (error.code === 'ELOOP') return ['link']
    throw error
  }
  let filled = 0
  try {
    const info = fs.fstatSync(fd)
    if (!info.isFile()) return ['irregular']
    if (info.size !== size) return ['size', info.size]
    // One byte more than the manifest says: a blob that grew since the fstat is caught by its length.
    if (buffer.length < size + 1) buffer = Buffer.allocUnsafe(size + 1)
    for (;;) {
      const read = fs.readSync(fd, buffer, filled, size + 1 - filled, filled)
      if (read === 0 || (filled += read) === size + 1) break
    }
    if (filled !== size) return ['size', fs.fstatSync(fd).size]
  } finally {
    fs.closeSync(fd)
  }
  const actual = 'sha256:' + createHash('sha256').update(buffer.subarray(0, filled)).digest('hex')
  return actual === digest ? null : ['digest', actual]
}
parentPort.on('message', (files) => {
  const problems = []
  for (let i = 0; i < files.length; i += 3) {
    let problem
    try {
      problem = check(files[i], files[i + 1], files[i + 2])
    } catch (error) {
      parentPort.postMessage({ problems, failed: { index: i / 3, message: String((error && error.message) || error), code: error && error.code } })
      return
    }
    if (problem) problems.push([i / 3, ...problem])
  }
  parentPort.postMessage({ problems })
})
`

/** Small heaps: a thread holds one batch and one file's bytes (outside its heap) at a time. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 }

type ThreadedFile = Pick<ManifestEntry, 'size' | 'digest'>

/** A damaged file: `kind` with, for `size`, the blob's size and, for `digest`, the blob's digest. */
type ProblemTuple = [index: number, kind: 'missing' | 'link' | 'irregular' | 'size' | 'digest', detail?: number | string]

interface BatchAnswer {
  problems: ProblemTuple[]
  failed?: { index: number; message: string; code?: string }
}

export interface ThreadedVerifyProblem {
  /** Index of the file in the `files` given. */
  index: number
  /** As checkObject in maintenance.ts words it, so that a folder's report reads the same either way. */
  message: string
}

/**
 * Checks `files` on worker threads, each read from `localPath(blobLocation(digest))`: answers
 * every file that is missing, a link, not a regular file, or not of its size and digest, in
 * the order of `files`. A blob that cannot be read at all rejects (BackendUnavailableError, as
 * the storage's own read would), once every thread has stopped; so does an abort.
 */
export async function verifyOnThreads(
  files: readonly ThreadedFile[],
  localPath: (location: string) => string,
  options: { signal?: AbortSignal; backend?: string } = {},
): Promise<ThreadedVerifyProblem[]> {
  const batches = Math.ceil(files.length / BATCH_FILES)
  const found: ThreadedVerifyProblem[] = []
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
          worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS })
          workers.push(worker)
          while (failure === undefined && next < batches) {
            const start = BATCH_FILES * next++
            const batch: Array<string | number> = []
            for (let i = start; i < Math.min(start + BATCH_FILES, files.length); i++) {
              const file = files[i] as ThreadedFile
              batch.push(localPath(blobLocation(file.digest)), file.size, file.digest)
            }
            const answer = await runBatch(worker, batch)
            for (const [index, kind, detail] of answer.problems) {
              found.push({ index: start + index, message: problemMessage(files[start + index] as ThreadedFile, kind, detail) })
            }
            if (answer.failed) failure ??= readError(files[start + answer.failed.index] as ThreadedFile, answer.failed, options.backend ?? 'storage')
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
  return found.sort((a, b) => a.index - b.index)
}

/** Posts one batch, flattened (blob file, size, digest per file), and waits for its answer. */
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
      reject(new Error('folder verify: a checking thread stopped'))
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.postMessage(batch)
  })
}

function problemMessage(file: ThreadedFile, kind: ProblemTuple[1], detail: ProblemTuple[2]): string {
  switch (kind) {
    case 'missing':
      return 'missing from storage'
    case 'link':
      return 'is a link, not a stored object'
    case 'irregular':
      return 'is not a regular file'
    case 'size':
      return `size ${detail}, expected ${file.size}`
    case 'digest':
      return `digest ${detail}, expected ${file.digest}`
  }
}

/** As the local storage words a read that failed (file-system-error.ts): the errno, else the message. */
function readError(file: ThreadedFile, failed: NonNullable<BatchAnswer['failed']>, backend: string): Error {
  const cause = Object.assign(new Error(failed.message), failed.code === undefined ? {} : { code: failed.code })
  return new BackendUnavailableError(backend, `verify of ${blobLocation(file.digest)} failed (${failed.code ?? failed.message})`, { cause })
}
