/** Where part buffers come from: the storage's budget, or one upload's lease of it. */
export interface PartBuffers {
  buffer(size: number, signal?: AbortSignal): Promise<Buffer>
  give(buffer: Buffer): void
}

interface Waiter {
  bytes: number
  grant: () => void
}

/** What an UploadMemory holds now and held at most, for tests and benchmarks. */
export interface UploadMemoryStats {
  capacity: number
  /** Bytes of part buffers granted and not yet given back. */
  inUse: number
  /** The most `inUse` has been since this storage was created. */
  peak: number
  /** Acquisitions waiting for room. */
  waiting: number
}

/**
 * The part buffers of every upload of one storage together: a FIFO semaphore over bytes, and a
 * pool of reusable buffers of `partSize`. Per-upload limits multiply with the uploads a server
 * runs at once (8 × 5 parts of 8 MiB was 320 MiB); a shared budget keeps the total fixed, and
 * FIFO keeps a stream of small grants from starving a large one. An upload only ever waits for
 * room while its other grants are parts in flight, which come back whatever others do, so
 * waiting cannot deadlock. Pooled buffers count against the budget, so `inUse` plus the pool
 * never exceed `capacity`.
 */
export class UploadMemory implements PartBuffers {
  private readonly queue: Waiter[] = []
  private readonly pool: Buffer[] = []
  private used = 0
  private highest = 0
  private uploads = 0

  constructor(
    readonly capacity: number,
    readonly partSize: number,
  ) {}

  get stats(): UploadMemoryStats {
    return { capacity: this.capacity, inUse: this.used, peak: this.highest, waiting: this.queue.length }
  }

  /**
   * Waits until `bytes` fit (at most `capacity`: a larger grant waits for all of it), in
   * arrival order. An abort while waiting gives up the place in line and takes nothing.
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    await this.wait(bytes, signal)
    this.trim()
  }

  private async wait(bytes: number, signal?: AbortSignal): Promise<void> {
    const weight = Math.min(bytes, this.capacity)
    signal?.throwIfAborted()
    // Nothing to hold (an empty object) needs no place in line.
    if (weight === 0 || (this.queue.length === 0 && this.fits(weight))) {
      this.take(weight)
      return
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(waiter)
        if (at >= 0) this.queue.splice(at, 1)
        // The head leaving may let the next ones in.
        this.drain()
        reject(signal?.reason)
      }
      const waiter: Waiter = {
        bytes: weight,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      this.queue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  release(bytes: number): void {
    this.used -= Math.min(bytes, this.capacity)
    this.drain()
  }

  /** A buffer of `size` bytes (at most partSize) once there is room for it: pooled when a whole part. */
  async buffer(size: number, signal?: AbortSignal): Promise<Buffer> {
    await this.wait(size, signal)
    const pooled = size === this.partSize ? this.pool.pop() : undefined
    this.trim()
    return pooled ?? Buffer.allocUnsafeSlow(size)
  }

  /** Gives back a buffer from `buffer` (whole, not a slice of it): a whole part goes to the pool. */
  give(buffer: Buffer): void {
    if (buffer.length === this.partSize) this.pool.push(buffer)
    this.release(buffer.length)
  }

  /** One upload's share: what it still holds is given back when it ends, however it ends. */
  lease(): UploadLease {
    this.uploads++
    return new UploadLease(this, () => {
      if (--this.uploads === 0) this.pool.length = 0
    })
  }

  private fits(weight: number): boolean {
    return this.used + weight <= this.capacity
  }

  private take(weight: number): void {
    this.used += weight
    this.highest = Math.max(this.highest, this.used)
  }

  /** Room granted that the pool occupies is made by dropping pooled buffers (to the GC). */
  private trim(): void {
    while (this.pool.length > 0 && this.used + this.pool.length * this.partSize > this.capacity) this.pool.pop()
  }

  private drain(): void {
    for (;;) {
      const head = this.queue[0]
      if (!head || !this.fits(head.bytes)) return
      this.queue.shift()
      this.take(head.bytes)
      head.grant()
    }
  }
}

/**
 * The budget as one upload sees it: it counts what the upload holds, so that an upload that
 * fails or is cancelled anywhere (a part read, the journal, a request) gives everything back
 * when it ends and the uploads after it still get room.
 */
export class UploadLease implements PartBuffers {
  private held = 0
  private closed = false

  constructor(
    private readonly memory: UploadMemory,
    private readonly ended: () => void,
  ) {}

  async buffer(size: number, signal?: AbortSignal): Promise<Buffer> {
    const buffer = await this.memory.buffer(size, signal)
    this.held += Math.min(size, this.memory.capacity)
    return buffer
  }

  give(buffer: Buffer): void {
    if (this.closed) return
    this.held -= Math.min(buffer.length, this.memory.capacity)
    this.memory.give(buffer)
  }

  /** Gives back whatever is still held; later gives are ignored. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.memory.release(this.held)
    this.held = 0
    this.ended()
  }
}
