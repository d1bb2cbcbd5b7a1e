import { Worker } from 'node:worker_threads'
import type { ContentDigest } from '../digest.js'
import type { DownloadHash, FillingSpan } from './download-hash.js'

// The worker's source is inline (CommonJS, no imports of ours) so that it runs the same from
// dist and from src under the tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { openSync, readSync, closeSync } = require('node:fs')
const fd = openSync(workerData.path, 'r')
const hash = createHash('sha256')
const buffer = Buffer.allocUnsafe(1 << 20)
let position = 0
let failed = false
parentPort.on('message', ({ until, final }) => {
  if (failed) return
  try {
    while (position < until) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, until - position), position)
      if (read === 0) throw new Error('the file ends at byte ' + position + ', before ' + until)
      hash.update(buffer.subarray(0, read))
      position += read
    }
    if (final) {
      closeSync(fd)
      parentPort.postMessage({ digest: hash.digest('hex') })
    }
  } catch (error) {
    failed = true
    closeSync(fd)
    parentPort.postMessage({ error: String(error && error.message) })
  }
})
`

/**
 * The sha256 of a file whose spans are written in any order (spans already in the file
 * included), computed on a worker thread that reads the file back, from the page cache where
 * the bytes were just written, behind the edge of what is written contiguously from the start.
 * The event loop only moves bytes from sockets to the file; the hash runs on another core.
 * Measured on the S3 benchmark (1 GiB, 2 cores shared with the gateway): about 25 % faster
 * than hashing on the event loop, with or without holding the spans ahead of the edge in memory.
 */
export class WorkerHash implements DownloadHash {
  private readonly worker: Worker
  private readonly result: Promise<{ digest?: string; error?: string }>
  private current = 0
  private posted = 0

  constructor(
    path: string,
    private readonly spans: readonly FillingSpan[],
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path } })
    this.result = new Promise((resolve, reject) => {
      this.worker.once('message', resolve)
      this.worker.once('error', reject)
      this.worker.once('exit', () => reject(new Error('download hash: the hashing thread stopped')))
    })
    this.result.catch(() => {})
    this.written()
  }

  /** Only the spans' `filled` counts matter: the worker reads the bytes from the file. */
  written(): void {
    for (let span = this.spans[this.current]; span !== undefined; span = this.spans[this.current]) {
      if (span.filled < span.end - span.start) break
      this.current++
    }
    const span = this.spans[this.current]
    const edge = span === undefined ? (this.spans.at(-1)?.end ?? 0) : span.start + span.filled
    // Wake the worker per MiB, not per write.
    if (edge - this.posted >= 1 << 20) {
      this.worker.postMessage({ until: edge })
      this.posted = edge
    }
  }

  async digest(): Promise<ContentDigest> {
    this.worker.postMessage({ until: this.spans.at(-1)?.end ?? 0, final: true })
    const { digest, error } = await this.result
    if (error !== undefined || digest === undefined) throw new Error(`download hash: ${error}`)
    return `sha256:${digest}`
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}
