import type { ContentDigest } from '../digest.js'

/** Entries encoded per flush: a few hundred KiB of text, then compact bytes. */
const FLUSH_ENTRIES = 4096

/**
 * Encodes a folder manifest entry by entry into bytes, holding no object per file: the same
 * bytes as `JSON.stringify({ manifestVersion: 1, files: [{ path, size, digest }, …] })`, so
 * that a folder stored before gets the same digest now.
 */
export class ManifestBuilder {
  private readonly parts: Buffer[] = [Buffer.from('{"manifestVersion":1,"files":[')]
  private pending: string[] = []
  count = 0
  size = 0

  add(path: string, size: number, digest: ContentDigest): void {
    this.pending.push(`${this.count === 0 ? '' : ','}{"path":${JSON.stringify(path)},"size":${JSON.stringify(size)},"digest":${JSON.stringify(digest)}}`)
    this.count += 1
    this.size += size
    if (this.pending.length >= FLUSH_ENTRIES) this.flush()
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks())
  }

  /** The manifest's bytes in pieces, for a caller that can hash and write them without joining them. */
  chunks(): Uint8Array[] {
    this.flush()
    return [...this.parts, Buffer.from(']}')]
  }

  private flush(): void {
    if (this.pending.length === 0) return
    this.parts.push(Buffer.from(this.pending.join('')))
    this.pending = []
  }
}
