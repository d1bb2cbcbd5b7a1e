import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { runBatchesOnThreads, type ThreadBatchJob } from '../src/manager/thread-batches.js'

/**
 * A thread that counts its start and then its life (a tick every millisecond) in shared
 * counters, and answers batch [index] with { index } (after workerData.delay ms, if given),
 * unless told to exit, throw or hang on it.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const counts = new Int32Array(workerData.counts)
Atomics.add(counts, 0, 1)
setInterval(() => Atomics.add(counts, 1, 1), 1)
parentPort.on('message', ([index]) => {
  if (workerData.delay) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.delay)
  if (index === workerData.exitAt) process.exit(1)
  if (index === workerData.throwAt) throw new Error('thrown in batch ' + index)
  if (index === workerData.hangAt) return
  parentPort.postMessage({ index })
})
`
/** The counters' indexes in SOURCE. */
const STARTS = 0
const TICKS = 1

interface Run {
  counts: Int32Array
  posted: number[]
  answered: number[]
  job: ThreadBatchJob<{ index: number }>
}

function run(batches: number, at: { exitAt?: number; throwAt?: number; hangAt?: number; delay?: number } = {}, signal?: AbortSignal): Run {
  const counts = new Int32Array(new SharedArrayBuffer(8))
  const posted: number[] = []
  const answered: number[] = []
  const job: ThreadBatchJob<{ index: number }> = {
    source: SOURCE,
    workerData: { counts: counts.buffer, ...at },
    batches,
    message: (index) => {
      posted.push(index)
      return [index]
    },
    answer: (index, answer) => {
      expect(answer).toEqual({ index })
      answered.push(index)
      return undefined
    },
    signal,
    stopped: 'test: a thread stopped',
  }
  return { counts, posted, answered, job }
}

/** Threads started, and none ticks any more: every one was terminated before the run settled. */
async function expectNoThreadRunning(counts: Int32Array) {
  expect(Atomics.load(counts, STARTS)).toBeGreaterThan(0)
  const settled = Atomics.load(counts, TICKS)
  await sleep(50)
  expect(Atomics.load(counts, TICKS)).toBe(settled)
}

describe('batches run on worker threads', () => {
  it('posts every batch once and takes every answer', async () => {
    const { counts, posted, answered, job } = run(40)
    await runBatchesOnThreads(job)
    expect(posted.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(answered.sort((a, b) => a - b)).toEqual(posted)
    await expectNoThreadRunning(counts)
  })

  it('starts four threads, or fewer for fewer batches', async () => {
    const two = run(2)
    await runBatchesOnThreads(two.job)
    expect(Atomics.load(two.counts, STARTS)).toBe(2)
    const many = run(40)
    await runBatchesOnThreads(many.job)
    expect(Atomics.load(many.counts, STARTS)).toBe(4)
    // As many as the job asks for, and a count that is not one is refused before anything starts.
    const asked = run(40)
    await runBatchesOnThreads({ ...asked.job, threads: 2 })
    expect(Atomics.load(asked.counts, STARTS)).toBe(2)
    expect(asked.answered).toHaveLength(40)
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      const refused = run(4)
      await expect(runBatchesOnThreads({ ...refused.job, threads })).rejects.toThrow(/threads must be a whole number of at least 1/)
      expect(refused.posted).toEqual([])
    }
  })

  it('fails with the stopped message when a thread exits mid-batch, once every thread has stopped', async () => {
    // Batches of 5 ms: the exit stops the run long before the 100 are done.
    const { counts, posted, job } = run(100, { exitAt: 5, delay: 5 })
    await expect(runBatchesOnThreads(job)).rejects.toThrow('test: a thread stopped')
    expect(posted.length).toBeLessThan(100)
    await expectNoThreadRunning(counts)
  })

  it('fails with the error a thread throws', async () => {
    const { counts, job } = run(100, { throwAt: 2 })
    await expect(runBatchesOnThreads(job)).rejects.toThrow('thrown in batch 2')
    await expectNoThreadRunning(counts)
  })

  it('fails when no thread can start, and posts nothing', async () => {
    const { posted, job } = run(10)
    // A function cannot be cloned to a thread: the Worker constructor throws.
    await expect(runBatchesOnThreads({ ...job, workerData: { f: () => 0 } })).rejects.toThrow(/could not be cloned/)
    expect(posted).toEqual([])
  })

  it('rejects with the abort reason and stops every thread, even one that never answers', async () => {
    const controller = new AbortController()
    const { counts, job } = run(100, { hangAt: 3 }, controller.signal)
    const running = runBatchesOnThreads(job)
    while (Atomics.load(counts, STARTS) < 4) await sleep(5)
    const reason = new Error('stop now')
    controller.abort(reason)
    await expect(running).rejects.toBe(reason)
    await expectNoThreadRunning(counts)
  })

  it('starts nothing for a signal already aborted', async () => {
    const controller = new AbortController()
    const reason = new Error('already')
    controller.abort(reason)
    const { posted, job } = run(10, {}, controller.signal)
    await expect(runBatchesOnThreads(job)).rejects.toBe(reason)
    expect(posted).toEqual([])
  })

  it('stops at the first failed answer: it wins, and no batch is posted after it', async () => {
    const { counts, posted, job } = run(200)
    let first: Error | undefined
    let postedAtFailure = -1
    let later = 0
    const failing: typeof job = {
      ...job,
      answer: (index) => {
        if (first === undefined) {
          postedAtFailure = posted.length
          first = new Error(`batch ${index} failed first`)
          return first
        }
        // Batches already under way are still answered; their failures do not replace the first.
        later++
        throw new Error(`batch ${index} failed later`)
      },
    }
    await expect(runBatchesOnThreads(failing)).rejects.toSatisfy((error) => error === first)
    // Each thread posted its first batch before any answer came: the four, and none after.
    expect(postedAtFailure).toBe(4)
    expect(posted).toHaveLength(4)
    expect(later).toBe(3)
    await expectNoThreadRunning(counts)
  })
})
