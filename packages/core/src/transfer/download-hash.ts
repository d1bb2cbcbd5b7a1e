import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { type ContentDigest, toContentDigest } from '../digest.js'

/** A span of the destination file being filled from its start: bytes [start, start + filled) are written. */
export interface FillingSpan {
  readonly start: number
  readonly end: number
  filled: number
}

/** The sha256 of a download's file, fed as its bytes are written. */
export interface DownloadHash {
  /** After `chunks` were written at `at`, and their span's `filled` counts them. */
  written(at: number, chunks: readonly Buffer[]): void
  /** Once every byte is written: the digest of the whole file. */
  digest(): Promise<ContentDigest>
  /** Releases what the hash holds; safe after digest and after a failure. */
  close(): Promise<void>
}

const READ_BYTES = 1 << 20

/**
 * The hash of a file written in byte order: bytes already in it (a resumed prefix) are read
 * back first, then every write is hashed from the buffers in hand.
 */
export class SequentialHash implements DownloadHash {
  private readonly hash = createHash('sha256')

  private constructor(private position: number) {}

  static async start(file: FileHandle, prefix: number, signal?: AbortSignal): Promise<SequentialHash> {
    const hash = new SequentialHash(0)
    const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, prefix))
    while (hash.position < prefix) {
      signal?.throwIfAborted()
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, prefix - hash.position), hash.position)
      if (bytesRead === 0) throw new Error(`download hash: the file ends at byte ${hash.position}, before ${prefix}`)
      hash.written(hash.position, [buffer.subarray(0, bytesRead)])
    }
    return hash
  }

  written(at: number, chunks: readonly Buffer[]): void {
    if (at !== this.position) throw new Error(`download hash: a write at byte ${at}, the hash is at ${this.position}`)
    for (const chunk of chunks) {
      this.hash.update(chunk)
      this.position += chunk.length
    }
  }

  async digest(): Promise<ContentDigest> {
    return toContentDigest(this.hash)
  }

  async close(): Promise<void> {}
}
