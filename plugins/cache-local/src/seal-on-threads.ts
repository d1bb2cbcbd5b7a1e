import { runBatchesOnThreads } from '@assets/core'
import type { RecordedFile } from './entry-record.js'

/**
 * A folder entry's files sealed on worker threads: for each, the stat the record keeps (size,
 * mtime, inode) and the chmod to its sealed mode, as sealData does on the event loop for a
 * smaller folder. Why threads: a stat and a chmod of 10⁵ files are 1.6 s of system calls on
 * one thread, which the event loop issues one at a time while the other core waits; two threads
 * share them (a cold get of the benchmark's 10⁵ files took 0.5–1.3 s less, BENCHMARKS.md).
 * Two, not more: the calls use the CPU, not the disk, and a thread costs memory.
 */

/** Below this many files a thread costs more to start than it saves. */
export const THREADED_SEAL_MIN_FILES = 512
/** A mode no file is sealed with: the threads only look (statOnThreads). */
const LOOK_ONLY = -1
const THREADS = 2
const BATCH_FILES = 256

// Inline CommonJS with no imports of ours, so that it runs the same from dist and from src
// under the tests. A batch is the data folder, its files' paths joined by NUL (a name cannot
// hold one) and the mode (LOOK_ONLY: no chmod); its answer the size, mtime and inode of each
// file, or the first failure, named by its index and errno. When only looking, a file that is
// missing or not a regular file answers NaN (it matches no record) instead of failing.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const path = require('node:path')
parentPort.on('message', ([root, joined, mode]) => {
  const paths = joined.split('\\0')
  const identities = new Float64Array(paths.length * 3)
  const look = mode === ${LOOK_ONLY}
  for (let i = 0; i < paths.length; i++) {
    try {
      const full = path.join(root, paths[i])
      // Not through a link: a folder's files found by a walk, or given by the caller that made them.
      const info = look ? lookAt(full) : fs.lstatSync(full)
      if (info === null || (look && !info.isFile())) {
        identities.fill(Number.NaN, 3 * i, 3 * i + 3)
        continue
      }
      if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' })
      // As sealedMode in entry-record.ts: a file with other names keeps its read bits too.
      if (!look) fs.chmodSync(full, info.nlink > 1 ? mode | (info.mode & 0o444) : mode)
      identities[3 * i] = info.size
      identities[3 * i + 1] = info.mtimeMs
      identities[3 * i + 2] = info.ino
    } catch (error) {
      parentPort.postMessage({ index: i, message: String((error && error.message) || error), code: error && error.code })
      return
    }
  }
  parentPort.postMessage(identities, [identities.buffer])
})
function lookAt(full) {
  try {
    return fs.lstatSync(full)
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null
    throw error
  }
}
`

type Answer = Float64Array | { index: number; message: string; code?: string }

/** Seals `paths` (`/`-separated, under `dataPath`) with `mode` and answers each one's record, in their order. */
export function sealOnThreads(dataPath: string, paths: readonly string[], mode: number): Promise<RecordedFile[]> {
  return onThreads(dataPath, paths, mode)
}

/**
 * The size, mtime and inode of each of `paths` (`/`-separated, under `dataPath`), in their order,
 * changing nothing: NaN for a file that is missing or is not a regular file. For a get that
 * checks every file of a large folder, on threads for the reason sealing is.
 */
export function statOnThreads(dataPath: string, paths: readonly string[]): Promise<RecordedFile[]> {
  return onThreads(dataPath, paths, LOOK_ONLY)
}

async function onThreads(dataPath: string, paths: readonly string[], mode: number): Promise<RecordedFile[]> {
  const files = new Array<RecordedFile>(paths.length)
  const doing = mode === LOOK_ONLY ? 'checking' : 'sealing'
  await runBatchesOnThreads<Answer>({
    source: WORKER_SOURCE,
    threads: THREADS,
    batches: Math.ceil(paths.length / BATCH_FILES),
    stopped: `cache: ${doing} ${dataPath}: a thread stopped`,
    message: (batch) => [dataPath, paths.slice(batch * BATCH_FILES, (batch + 1) * BATCH_FILES).join('\0'), mode],
    answer: (batch, answer) => {
      const start = batch * BATCH_FILES
      if (!(answer instanceof Float64Array)) {
        // As the same call on the event loop would have thrown it: set() gives the data back.
        return Object.assign(new Error(`${answer.message} (${doing} ${paths[start + answer.index]})`), answer.code === undefined ? {} : { code: answer.code })
      }
      for (let k = 0; 3 * k < answer.length; k++) {
        files[start + k] = { path: paths[start + k] as string, size: answer[3 * k] as number, mtimeMs: answer[3 * k + 1] as number, ino: answer[3 * k + 2] as number }
      }
      return undefined
    },
  })
  return files
}
