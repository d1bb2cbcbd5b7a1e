import type { ManifestEntry } from '../asset-record.js'
import { blobLocation } from '../digest.js'
import { BackendUnavailableError } from '../errors/index.js'
import { BATCH_FILES, runBatchesOnThreads } from './thread-batches.js'
import { FILE_READ_SOURCE } from './thread-file-read.js'

/**
 * A folder's small files checked against the manifest on worker threads, each read straight
 * from a local storage's blob file (opened without following a link, a regular file only) and
 * hashed there. Why threads: as for the copy out (threaded-copy-out.ts), a folder of 10⁵ small
 * files is bound by per-file system calls and hashing; the event loop issues them one at a
 * time, four threads keep the disk and both cores busy. Unlike the copy, a damaged file does
 * not stop the run: verify reports every one.
 */

/** Below this many files a thread costs more to start than it saves. */
export const THREADED_VERIFY_MIN_FILES = 512
/** Files up to this size are read whole into one buffer per thread; larger ones are streamed on the event loop. */
export const THREADED_VERIFY_MAX_BYTES = 1 << 20

// Inline CommonJS with no imports of ours (FILE_READ_SOURCE is pasted in), so that it runs the
// same from dist and from src under the tests (as threaded-copy-out.ts). A batch answers every
// damaged file of it; a failure to read (EACCES, EIO) is not damage the manifest can describe:
// it stops the batch and names the file.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
${FILE_READ_SOURCE}
function check(path, size, digest) {
  let fd
  try {
    fd = fs.openSync(path, READ)
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return ['missing']
    if (error.code === 'ELOOP') return ['link']
    throw error
  }
  let bytes
  try {
    const info = fs.fstatSync(fd)
    if (!info.isFile()) return ['irregular']
    if (info.size !== size) return ['size', info.size]
    // One byte more than the manifest says: a blob that grew since the fstat is caught by its length.
    bytes = readUpTo(fd, size + 1)
    if (bytes.length !== size) return ['size', fs.fstatSync(fd).size]
  } finally {
    fs.closeSync(fd)
  }
  const actual = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
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
  const found: ThreadedVerifyProblem[] = []
  await runBatchesOnThreads<BatchAnswer>({
    source: WORKER_SOURCE,
    batches: Math.ceil(files.length / BATCH_FILES),
    // Flattened: blob file, size, digest per file.
    message: (index) => {
      const batch: Array<string | number> = []
      for (let i = BATCH_FILES * index; i < Math.min(BATCH_FILES * (index + 1), files.length); i++) {
        const file = files[i] as ThreadedFile
        batch.push(localPath(blobLocation(file.digest)), file.size, file.digest)
      }
      return batch
    },
    answer: (index, answer) => {
      const start = BATCH_FILES * index
      for (const [at, kind, detail] of answer.problems) {
        found.push({ index: start + at, message: problemMessage(files[start + at] as ThreadedFile, kind, detail) })
      }
      const failed = answer.failed
      return failed ? readError(files[start + failed.index] as ThreadedFile, failed, options.backend ?? 'storage') : undefined
    },
    signal: options.signal,
    stopped: 'folder verify: a checking thread stopped',
  })
  return found.sort((a, b) => a.index - b.index)
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
