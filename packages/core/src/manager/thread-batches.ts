import { Worker } from 'node:worker_threads'
import { InvalidInputError } from '../errors/index.js'

/**
 * The batch runner of the threaded folder copy (threaded-copy-out.ts) and verify
 * (threaded-verify.ts), exported for plugins with per-file work of their own (the local cache
 * seals a folder entry's files with it): a few worker threads, each taking the next batch of
 * files, posting it as one message and awaiting one answer, until the batches run out or the
 * run fails.
 */

/** Threads, and files per message: a batch amortises the message, many batches share the work evenly. */
const THREADS = 4
export const BATCH_FILES = 256
/** Small heaps: a thread holds one batch and one file's bytes (outside its heap) at a time. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 }

export interface ThreadBatchJob<A> {
  /** Inline CommonJS run by each thread: it answers every message (a batch) with one message. */
  source: string
  workerData?: unknown
  /** At most this many threads (default 4): fewer where each batch is CPU-bound system calls on two cores. */
  threads?: number
  batches: number
  /**
   * Batch `index`, flattened into one array. Made when a thread takes it, never all at once:
   * 10⁵ paths held at once would cost tens of MB.
   */
  message: (index: number) => Array<string | number>
  /**
   * Takes batch `index`'s answer; an error it returns or throws stops the run. The first failure
   * wins: the batches not yet taken are never posted, those under way are still answered.
   */
  answer: (index: number, answer: A) => Error | undefined
  signal?: AbortSignal
  /** The error's message for a thread that exits before it answers. */
  stopped: string
}

/**
 * Runs `job`'s batches on up to THREADS threads. The first failure (an answer's, a thread's that
 * cannot start or stopped, the signal's reason on an abort) rejects once every thread has
 * stopped, so that the caller can remove what was written without a thread still writing.
 */
export async function runBatchesOnThreads<A>(job: ThreadBatchJob<A>): Promise<void> {
  const threads = job.threads ?? THREADS
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidInputError(`runBatchesOnThreads: threads must be a whole number of at least 1, not ${threads}`)
  let next = 0
  let failure: unknown
  const workers: Worker[] = []
  const stop = () => {
    failure ??= job.signal?.reason ?? new Error('aborted')
    for (const worker of workers) void worker.terminate()
  }
  job.signal?.addEventListener('abort', stop, { once: true })
  try {
    job.signal?.throwIfAborted()
    await Promise.all(
      Array.from({ length: Math.min(threads, job.batches) }, async () => {
        let worker: Worker | undefined
        try {
          // Inside the try: a thread that cannot start fails the run once every other thread
          // has stopped, so the caller never removes a folder while one still writes into it.
          worker = new Worker(job.source, { eval: true, resourceLimits: WORKER_LIMITS, workerData: job.workerData })
          workers.push(worker)
          while (failure === undefined && next < job.batches) {
            const index = next++
            const answer = await runBatch<A>(worker, job.message(index), job.stopped)
            // Taken even after another thread failed (a copy's bytes still count), but it does
            // not replace that failure.
            const failed = job.answer(index, answer)
            failure ??= failed
          }
        } catch (error) {
          failure ??= error
        } finally {
          await worker?.terminate()
        }
      }),
    )
  } finally {
    job.signal?.removeEventListener('abort', stop)
  }
  if (failure !== undefined) throw failure
}

/** Posts one batch and waits for its answer. */
function runBatch<A>(worker: Worker, batch: Array<string | number>, stopped: string): Promise<A> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
    }
    const onMessage = (answer: A) => {
      cleanup()
      resolve(answer)
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(error)
    }
    const onExit = () => {
      cleanup()
      reject(new Error(stopped))
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.postMessage(batch)
  })
}
