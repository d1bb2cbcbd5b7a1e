import { BackendUnavailableError } from '@assets/core'

/**
 * The bytes of an upload handed to a store's `upload` while they arrive, one chunk at a time:
 * `push` settles once the store has taken the chunk, so the slower of the request and the
 * store paces the other and no more than a chunk waits here. The stream ends only through
 * `end` (the receiver checked every byte) or fails through `fail`; once the store's upload has
 * `settled` (or the feed failed), `push` no longer waits for it. The store learns of a failure from the
 * stream, at its next read, and cleans up itself (S3 aborts its multipart upload). Only a store
 * that has not settled `stallMs` after that is aborted through `signal`: an abort cuts requests
 * in flight, and one that creates a multipart upload may leave it open without our knowing its id.
 *
 * Either side waiting longer than `stallMs` for the other fails the feed: a stalled client
 * must not hold the store's shared part buffers, and a stalled store must not hold a request
 * until its idle timeout cuts it. So does a feed slower than `minBytesPerWindow` in any window of
 * `stallMs`: a client dripping a byte every few seconds would otherwise hold a part buffer of
 * the store's shared budget for as long as it likes, and a few such clients all of it. The
 * receiver then stores the blob from its file, as it does when the store is not fed at all.
 */
export class StoreFeed {
  readonly #abort = new AbortController()
  #pending: { chunk: Buffer; taken: () => void } | undefined
  #wake: (() => void) | undefined
  #ended = false
  #failure: { error: unknown } | undefined
  #detached = false
  #timer: NodeJS.Timeout | undefined
  #abortTimer: NodeJS.Timeout | undefined
  #window: NodeJS.Timeout | undefined
  #windowBytes = 0

  constructor(
    private readonly stallMs: number,
    minBytesPerWindow = 0,
  ) {
    if (minBytesPerWindow > 0) {
      this.#window = setInterval(() => {
        if (this.#windowBytes < minBytesPerWindow) {
          this.fail(new BackendUnavailableError('server', `an upload fed its store fewer than ${minBytesPerWindow} bytes in ${this.stallMs} ms`))
        }
        this.#windowBytes = 0
      }, stallMs)
      this.#window.unref()
    }
  }

  /** For the store's upload: aborted when it has not settled `stallMs` after a `fail`. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  push(chunk: Buffer): Promise<void> {
    if (this.#detached) return Promise.resolve()
    this.#windowBytes += chunk.length
    return new Promise((resolve) => {
      this.#pending = { chunk, taken: resolve }
      this.#waiting()
      this.#notify()
    })
  }

  end(): void {
    this.#ended = true
    clearInterval(this.#window)
    this.#going()
    this.#notify()
  }

  fail(error: unknown): void {
    if (this.#failure) return
    this.#failure = { error }
    this.#notify()
    this.#detach()
    this.#abortTimer = setTimeout(() => this.#abort.abort(error), this.stallMs)
    this.#abortTimer.unref()
  }

  /** The store's upload settled, whatever its outcome. */
  settled(): void {
    clearTimeout(this.#abortTimer)
    this.#detach()
  }

  #detach(): void {
    this.#detached = true
    clearInterval(this.#window)
    this.#going()
    this.#pending?.taken()
    this.#pending = undefined
  }

  async *chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        if (this.#failure) throw this.#failure.error
        const pending = this.#pending
        if (pending) {
          this.#pending = undefined
          this.#going()
          pending.taken()
          yield pending.chunk
          continue
        }
        if (this.#ended) return
        this.#waiting()
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
      }
    } finally {
      this.#detach()
    }
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #waiting(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.fail(new BackendUnavailableError('server', `an upload and its store waited ${this.stallMs} ms for each other`)), this.stallMs)
    this.#timer.unref()
  }

  #going(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
