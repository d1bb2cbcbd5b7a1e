import type { Hash } from 'node:crypto'
import type { PartBuffers } from './upload-memory.js'

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/**
 * Re-slices a byte stream into parts of exactly `partBytes` bytes (the last one shorter),
 * copying each chunk straight into a buffer granted by `buffers` (the storage's shared part
 * budget), so a part costs one buffer and not its chunks plus their concatenation. Every byte
 * is fed to `hash` in order. Before it yields a full part the reader looks one chunk ahead:
 * `finished` is then true when that part is the last, which is all an upload needs to choose
 * between one PUT and a multipart upload without holding a second part.
 */
export class StreamParts {
  /** Set before the last part is yielded (or when the stream had no bytes). */
  finished = false

  constructor(
    private readonly source: AsyncIterable<Uint8Array>,
    private readonly partBytes: number,
    private readonly hash: Hash,
    private readonly buffers: PartBuffers,
  ) {}

  async *read(signal?: AbortSignal): AsyncGenerator<Buffer> {
    const chunks = this.source[Symbol.asyncIterator]()
    let rest: Buffer | undefined
    try {
      while (!this.finished) {
        const buffer = await this.buffers.buffer(this.partBytes, signal)
        let filled = 0
        try {
          for (;;) {
            if (!rest?.length) {
              const next = await chunks.next()
              if (next.done) {
                this.finished = true
                break
              }
              rest = asBuffer(next.value)
              this.hash.update(rest)
              continue
            }
            // Full, and a byte of the next part is in hand: this part is not the last.
            if (filled === buffer.length) break
            const copied = rest.copy(buffer, filled)
            filled += copied
            rest = rest.subarray(copied)
          }
        } catch (error) {
          this.buffers.give(buffer)
          throw error
        }
        if (filled === 0 && this.finished) {
          this.buffers.give(buffer)
          return
        }
        yield buffer.subarray(0, filled)
      }
    } finally {
      // Stopped early (a failure, a refusal): the source is told, so that it stops too.
      if (!this.finished) await chunks.return?.()
    }
  }

  /** Gives a part's buffer back once the part is sent (or given up). */
  release(part: Buffer): void {
    this.buffers.give(Buffer.from(part.buffer, part.byteOffset, this.partBytes))
  }
}
