import type { Hash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { IntegrityError } from '@assets/core'
import type { PartBuffers } from './upload-memory.js'

/**
 * Reads a file in parts of exactly `partSize` bytes (the last one shorter) into buffers
 * granted by `memory`, the part budget shared by all uploads of the storage: a part's buffer
 * goes back when `release` is called for it, and the reader waits for room. Upload memory is
 * then bounded by the budget, whatever the file's size, the number of uploads and however the
 * allocator behaves (whole-part buffers are reused), and each byte is copied once, from the
 * page cache into its part. Every byte is fed to `hash` in order.
 */
export class FileParts {
  /** A file smaller than a part gets a buffer of its size: a folder's many small files do not each take a whole part. */
  private readonly bufferSize: number

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly partSize: number,
    private readonly memory: PartBuffers,
  ) {
    this.bufferSize = Math.max(1, Math.min(partSize, size))
  }

  async *read(hash: Hash, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const file = await open(this.path, 'r')
    try {
      for (let at = 0; at < this.size; at += this.partSize) {
        const buffer = await this.memory.buffer(this.bufferSize, signal)
        const part = buffer.subarray(0, Math.min(this.partSize, this.size - at))
        try {
          for (let filled = 0; filled < part.length; ) {
            signal?.throwIfAborted()
            const { bytesRead } = await file.read(part, filled, part.length - filled, at + filled)
            if (bytesRead === 0) throw new IntegrityError(`s3: ${this.path} changed size while it was being uploaded`)
            filled += bytesRead
          }
        } catch (error) {
          // Not yielded yet, so nobody else will give it back.
          this.memory.give(buffer)
          throw error
        }
        hash.update(part)
        yield part
      }
      if ((await file.stat()).size !== this.size) throw new IntegrityError(`s3: ${this.path} changed size while it was being uploaded`)
    } finally {
      await file.close()
    }
  }

  /** Gives a part's buffer back once the part is sent (or skipped, or given up). */
  release(part: Buffer): void {
    this.memory.give(Buffer.from(part.buffer, part.byteOffset, this.bufferSize))
  }
}
