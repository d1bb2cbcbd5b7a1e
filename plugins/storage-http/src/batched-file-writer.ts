import type { FileHandle } from 'node:fs/promises'

/** Where a batch goes besides the file: a buffer to gather it in, and who to tell once it is written. */
export interface BatchHandoff {
  buffer(bytes: number): Promise<Buffer>
  written(buffer: Buffer, length: number): void
}

export interface BatchedFileWriterOptions {
  /** Bytes gathered before a write starts (default 4 MiB). */
  batchBytes?: number
  /**
   * Gathers each batch into one buffer it provides and hands that over once it is on disk (a
   * worker thread hashes it). Without it, batches are written with writev and not copied.
   */
  handoff?: BatchHandoff
}

/**
 * Appends chunks to a file in batches of a few MiB, one write in flight while the next batch
 * fills, so the network, the hash and the disk work at the same time.
 */
export class BatchedFileWriter {
  #batch: Buffer[] = []
  #batchBytes = 0
  #inflight: Promise<void> = Promise.resolve()
  #failure: unknown
  readonly #limit: number

  constructor(
    private readonly file: FileHandle,
    private readonly options: BatchedFileWriterOptions = {},
  ) {
    this.#limit = options.batchBytes ?? 4 << 20
  }

  async write(chunk: Buffer): Promise<void> {
    this.#batch.push(chunk)
    this.#batchBytes += chunk.length
    if (this.#batchBytes >= this.#limit) await this.#startWrite()
  }

  /** Writes whatever is buffered and waits for it; throws the first write failure. */
  async flush(): Promise<void> {
    await this.#startWrite()
    await this.#inflight
    if (this.#failure !== undefined) throw this.#failure
  }

  async #startWrite(): Promise<void> {
    await this.#inflight
    if (this.#failure !== undefined) throw this.#failure
    if (this.#batchBytes === 0) return
    const batch = this.#batch
    const bytes = this.#batchBytes
    this.#batch = []
    this.#batchBytes = 0
    const { handoff } = this.options
    const work =
      handoff === undefined
        ? writeAll(this.file, batch)
        : (async () => {
            const gathered = await handoff.buffer(bytes)
            let at = 0
            for (const chunk of batch) at += chunk.copy(gathered, at)
            await writeAll(this.file, [gathered.subarray(0, bytes)])
            handoff.written(gathered, bytes)
          })()
    // Kept as a settled promise so a failure is reported by the next call, never as an unhandled rejection.
    this.#inflight = work.catch((error: unknown) => {
      this.#failure = error
    })
  }
}

async function writeAll(file: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers
  while (pending.length > 0) {
    let { bytesWritten } = await file.writev(pending)
    // A short write (rare on regular files): carry on with what is left.
    const rest: Buffer[] = []
    for (const buffer of pending) {
      if (bytesWritten >= buffer.length) bytesWritten -= buffer.length
      else {
        rest.push(buffer.subarray(bytesWritten))
        bytesWritten = 0
      }
    }
    pending = rest
  }
}
