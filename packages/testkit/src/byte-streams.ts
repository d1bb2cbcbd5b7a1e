import { setTimeout as delay } from 'node:timers/promises'

export { delay }

/** Reads an async iterable of chunks into one buffer. */
export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Yields `bytes` in chunks of `size`, the way a network body arrives. */
export async function* chunksOf(bytes: Uint8Array, size = 64 << 10): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) {
    yield bytes.subarray(offset, Math.min(offset + size, bytes.length))
  }
}
