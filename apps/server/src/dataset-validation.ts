import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { AssetError, type AssetErrorCode, BackendUnavailableError } from '@assets/core'
import type { DatasetReport, ValidateDatasetOptions } from '@assets/datasets'
import { STATUS_OF_CODE } from './errors.js'

/**
 * `validate` on the server: @assets/datasets' validator run on a worker thread, one at a time.
 *
 * Why a thread: the validator reads HDF5 through h5wasm, whose reads are synchronous, and its
 * value checks scan every matrix value; on the event loop a large h5ad would stall every other
 * request of the server for as long. Why one at a time: it is CPU-bound, and two validations
 * on a 2-core server would take both cores from the transfers. Requests wait in a bounded
 * queue; a client that goes away stops its validation (the thread is terminated).
 */

/** Validations waiting beyond this many are refused with 503 (try again later), not queued without end. */
export const MAX_WAITING_VALIDATIONS = 16

export type ValidationRequest = Omit<ValidateDatasetOptions, 'signal'>

// Inline CommonJS (as threaded-copy-out.ts), so that it runs the same from dist and from src
// under the tests; it imports the validator from the built @assets/datasets the server resolves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { pathToFileURL } = require('node:url')
import(pathToFileURL(workerData.module).href)
  .then((datasets) => datasets.validateDataset(workerData.path, workerData.options))
  .then(
    (report) => parentPort.postMessage({ report }),
    (error) => parentPort.postMessage({ error: { code: error && error.code, message: String((error && error.message) || error), issues: error && error.issues } }),
  )
`

export class DatasetValidation {
  private running = false
  private readonly waiting: Array<() => void> = []
  private readonly module = createRequire(import.meta.url).resolve('@assets/datasets')

  private closed = false
  private readonly stopping = new AbortController()

  /**
   * The report on the file `prepare` gives (the version read into the server's cache), validated
   * as `options` say; throws the validator's own typed errors. The turn is taken before
   * `prepare` runs, so that requests refused or waiting never fill the cache first.
   */
  async validate(prepare: (signal: AbortSignal) => Promise<string>, options: ValidationRequest, signal: AbortSignal): Promise<DatasetReport> {
    const both = AbortSignal.any([signal, this.stopping.signal])
    await this.turn(both)
    try {
      const path = await prepare(both)
      return await this.run(path, options, both)
    } finally {
      this.running = false
      this.waiting.shift()?.()
    }
  }

  /** At shutdown: waiting requests leave the queue and a running validation is stopped, so that closing does not wait for them. */
  close(): void {
    this.closed = true
    this.stopping.abort(new BackendUnavailableError('validation', 'the server is shutting down; try again'))
  }

  private async turn(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.closed) throw new BackendUnavailableError('validation', 'the server is shutting down; try again')
    if (!this.running) {
      this.running = true
      return
    }
    if (this.waiting.length >= MAX_WAITING_VALIDATIONS) throw new BackendUnavailableError('validation', `${MAX_WAITING_VALIDATIONS} validations are already waiting; try again later`)
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', leave)
        this.running = true
        resolve()
      }
      const leave = () => {
        const at = this.waiting.indexOf(go)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(signal.reason)
      }
      if (signal.aborted) return leave()
      signal.addEventListener('abort', leave, { once: true })
      this.waiting.push(go)
    })
  }

  private run(path: string, options: ValidationRequest, signal: AbortSignal): Promise<DatasetReport> {
    signal.throwIfAborted()
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.module, path, options } })
    return new Promise<DatasetReport>((resolve, reject) => {
      // The slot is given back only once the thread is gone: two validations never run at once.
      let stopping = false
      const stop = () => {
        stopping = true
        worker.terminate().then(
          () => reject(signal.reason),
          () => reject(signal.reason),
        )
      }
      signal.addEventListener('abort', stop, { once: true })
      const done = () => signal.removeEventListener('abort', stop)
      worker.once('message', (message: { report?: DatasetReport; error?: WorkerError }) => {
        done()
        void worker.terminate()
        if (message.report) resolve(message.report)
        else reject(rebuilt(message.error ?? { message: 'the validator stopped without a report' }))
      })
      worker.once('error', (error) => {
        done()
        if (!stopping) reject(error)
      })
      worker.once('exit', (code) => {
        done()
        if (!stopping) reject(new Error(`the validation thread exited (code ${code}) without a report`))
      })
    })
  }
}

interface WorkerError {
  code?: string
  message: string
  issues?: unknown[]
}

/** The validator's error as the typed error it was (its code and issues kept), or a plain failure. */
function rebuilt(error: WorkerError): Error {
  if (error.code === undefined || !(error.code in STATUS_OF_CODE)) return new Error(error.message)
  const typed = new AssetError(error.code as AssetErrorCode, error.message)
  return error.issues ? Object.assign(typed, { issues: error.issues }) : typed
}
