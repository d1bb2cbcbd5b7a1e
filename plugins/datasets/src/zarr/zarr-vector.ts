import type { CompressedParts, StructureVector } from '@assets/core'
import * as zarr from 'zarrita'
import type { FileSystemStore } from './fs-store.js'
import { openZarrNode, zarrDtype } from './zarr-structure.js'

type ZArray = zarr.Array<zarr.DataType, FileSystemStore>
type Numeric = ArrayLike<number | bigint>
type TypedArray = Exclude<Numeric, readonly (number | bigint)[]> & {
  subarray(start: number, end: number): TypedArray
  set(source: TypedArray, offset: number): void
  readonly length: number
}
type TypedArrayConstructor = new (length: number) => TypedArray

const isTyped = (data: unknown): data is TypedArray => ArrayBuffer.isView(data) && !(data instanceof DataView)

/**
 * A 1-d zarr array read by ranges, chunk by chunk. The values pass asks for consecutive
 * ranges of 1 Mi entries, which rarely line up with the store's chunks: the last decoded chunk
 * is kept, so no chunk is decompressed twice, and memory stays at one chunk plus one range.
 * A range inside one chunk is a view of it (no copy).
 */
export function zarrVector(node: ZArray, path: string): StructureVector | undefined {
  if (node.shape.length !== 1) return undefined
  const length = node.shape[0]!
  const chunkLength = node.chunks[0]!
  let cached: { index: number; data: TypedArray } | undefined
  const chunk = async (index: number): Promise<TypedArray | undefined> => {
    if (cached?.index === index) return cached.data
    const { data } = await node.getChunk([index])
    if (!isTyped(data)) return undefined
    cached = { index, data }
    return data
  }
  // Strings and booleans (not typed arrays): zarrita's own selection, which copies.
  const bySelection = async (start: number, end: number): Promise<Numeric> => {
    const part = (await zarr.get(node, [zarr.slice(start, end)])) as { data: Numeric }
    return part.data
  }
  return {
    path,
    dtype: zarrDtype(node.dtype),
    length,
    read: async (start, end) => {
      start = Math.max(0, start)
      end = Math.min(length, end)
      if (end <= start) return []
      const first = Math.floor(start / chunkLength)
      const last = Math.floor((end - 1) / chunkLength)
      const head = await chunk(first)
      if (!head) return bySelection(start, end)
      if (first === last) return head.subarray(start - first * chunkLength, end - first * chunkLength)
      const out = new (head.constructor as TypedArrayConstructor)(end - start)
      for (let c = first; c <= last; c++) {
        const data = c === first ? head : await chunk(c)
        if (!data) return bySelection(start, end)
        const from = Math.max(start, c * chunkLength)
        const to = Math.min(end, (c + 1) * chunkLength)
        out.set(data.subarray(from - c * chunkLength, to - c * chunkLength), from - start)
      }
      return out
    },
  }
}

/** A zarr CSR/CSC group's data, indices and indptr (undefined when one is missing or not 1-d). */
export async function zarrCompressedParts(store: FileSystemStore, path: string): Promise<CompressedParts | undefined> {
  const part = async (name: string) => {
    const at = path ? `${path}/${name}` : name
    const node = await openZarrNode(store, at)
    return node instanceof zarr.Array ? zarrVector(node, at) : undefined
  }
  const [indptr, indices, data] = [await part('indptr'), await part('indices'), await part('data')]
  return indptr && indices && data ? { indptr, indices, data } : undefined
}
