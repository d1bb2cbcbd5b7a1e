import type { Hash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { IntegrityError } from '@assets/core'

/**
 * Reads a file in parts of exactly `partSize` bytes (the last one shorter) into a fixed set of
 * `buffers` reused buffers: a part's buffer returns to the set when `release` is called for it,
 * and the reader waits for one to be free. Upload memory is then `buffers × partSize`, whatever
 * the file's size and however the allocator behaves, and each byte is copied once, from the
 * page cache into its part. Every byte is fed to `hash` in order.
 */
export class FileParts {
  private readonly free: Buffer[] = []
  private allocated = 0
  private wake: (() => void) | null = null
  /** A file smaller than a part gets a buffer of its size: a folder's many small files do not each allocate a whole part. */
  private readonly bufferSize: number

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly partSize: number,
    private readonly buffers: number,
  ) {
    this.bufferSize = Math.max(1, Math.min(partSize, size))
  }

  async *read(hash: Hash, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const file = await open(this.path, 'r')
    try {
      for (let at = 0; at < this.size; at += this.partSize) {
        const part = (await this.take()).subarray(0, Math.min(this.partSize, this.size - at))
        for (let filled = 0; filled < part.length; ) {
          signal?.throwIfAborted()
          const { bytesRead } = await file.read(part, filled, part.length - filled, at + filled)
          if (bytesRead === 0) throw new IntegrityError(`s3: ${this.path} changed size while it was being uploaded`)
          filled += bytesRead
        }
        hash.update(part)
        yield part
      }
      if ((await file.stat()).size !== this.size) throw new IntegrityError(`s3: ${this.path} changed size while it was being uploaded`)
    } finally {
      await file.close()
    }
  }

  /** Gives a part's buffer back once the part is sent (or skipped). */
  release(part: Buffer): void {
    this.free.push(Buffer.from(part.buffer, part.byteOffset, this.bufferSize))
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  private async take(): Promise<Buffer> {
    for (;;) {
      const buffer = this.free.pop()
      if (buffer) return buffer
      if (this.allocated < this.buffers) {
        this.allocated++
        return Buffer.allocUnsafeSlow(this.bufferSize)
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }
}
