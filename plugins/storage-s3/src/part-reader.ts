import type { Hash } from 'node:crypto'

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/**
 * Re-slices a byte stream into parts of exactly `partSize` bytes (the last one shorter) and
 * feeds every byte to `hash` in order, so the digest of the whole source comes from the same
 * single read that produces the parts.
 */
export async function* fixedSizeParts(source: AsyncIterable<Uint8Array>, partSize: number, hash: Hash): AsyncGenerator<Buffer> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  for await (const raw of source) {
    const chunk = asBuffer(raw)
    if (chunk.length === 0) continue
    hash.update(chunk)
    pending.push(chunk)
    pendingBytes += chunk.length
    while (pendingBytes >= partSize) {
      const single = pending.length === 1
      const all = single ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes)
      // A lone chunk is the caller's memory: copy it, since the part outlives this iteration.
      yield single ? Buffer.from(all.subarray(0, partSize)) : all.subarray(0, partSize)
      const rest = all.subarray(partSize)
      pending = rest.length > 0 ? [rest] : []
      pendingBytes = rest.length
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes)
}
