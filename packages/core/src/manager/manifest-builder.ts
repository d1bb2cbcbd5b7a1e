import type { ContentDigest } from '../digest.js'

/** Entries encoded per flush: a few hundred KiB of text, then compact bytes. */
const FLUSH_ENTRIES = 4096

const HEAD = '{"manifestVersion":1,"files":['
const TAIL = ']}'

/** One entry's text, as JSON.stringify writes it, with the comma that precedes all but the first. */
function entryText(first: boolean, path: string, size: number, digest: ContentDigest): string {
  return `${first ? '' : ','}{"path":${JSON.stringify(path)},"size":${JSON.stringify(size)},"digest":${JSON.stringify(digest)}}`
}

/**
 * Encodes a folder manifest entry by entry into bytes, holding no object per file: the same
 * bytes as `JSON.stringify({ manifestVersion: 1, files: [{ path, size, digest }, …] })`, so
 * that a folder stored before gets the same digest now.
 */
export class ManifestBuilder {
  private readonly parts: Buffer[] = [Buffer.from(HEAD)]
  private pending: string[] = []
  count = 0
  size = 0

  add(path: string, size: number, digest: ContentDigest): void {
    this.pending.push(entryText(this.count === 0, path, size, digest))
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
    return [...this.parts, Buffer.from(TAIL)]
  }

  private flush(): void {
    if (this.pending.length === 0) return
    this.parts.push(Buffer.from(this.pending.join('')))
    this.pending = []
  }
}

/**
 * The same bytes as a ManifestBuilder given entries 0 … count - 1, encoded as they are read and
 * held by no one: a caller that needs them twice (hashed, then written) reads them twice,
 * rather than holding a manifest of 10⁵ files (12 MB) whole.
 */
export function* manifestChunks(
  count: number,
  path: (i: number) => string,
  size: (i: number) => number,
  digest: (i: number) => ContentDigest,
): Generator<Uint8Array> {
  yield Buffer.from(HEAD)
  let pending: string[] = []
  for (let i = 0; i < count; i++) {
    pending.push(entryText(i === 0, path(i), size(i), digest(i)))
    if (pending.length >= FLUSH_ENTRIES) {
      yield Buffer.from(pending.join(''))
      pending = []
    }
  }
  if (pending.length > 0) yield Buffer.from(pending.join(''))
  yield Buffer.from(TAIL)
}
