import { loadH5wasm, quietly, type H5Dataset } from './h5wasm-loader.js'

/** HDF5's H5T_STRING type class, as h5wasm reports it in `metadata.type`. */
const H5T_STRING = 3

/**
 * Streams a 1-d variable-length string dataset (an obs index of 300 000 cell names) `step`
 * cells at a time, through HDF5 directly: one pointer buffer in wasm memory for the whole
 * scan, each name decoded from it, the strings' memory given back to HDF5 after each slice.
 * h5wasm's `slice` copies the buffer, rebuilds the dataset's metadata on every call and
 * decodes names a character at a time: about 200 bytes of garbage per name, enough for V8 to
 * grow its young generation to 16 MiB on a 2 GiB h5ad (+15 MB peak RSS). Undefined when the
 * dataset is not a 1-d vlen string (the caller falls back to `slice`).
 */
export async function scanVlenStrings(
  dataset: H5Dataset,
  step: number,
  visit: (values: string[]) => void,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const meta = quietly(() => dataset.metadata)
  const shape = meta.shape ?? []
  if (meta.type !== H5T_STRING || !meta.vlen || shape.length !== 1) return undefined
  const { Module } = await loadH5wasm()
  const length = shape[0]!
  if (length === 0) return 0
  const encoding = meta.cset === 1 ? 'utf8' : 'latin1'
  const ptr = Module._malloc(4 * Math.min(step, length))
  if (!ptr) throw new Error(`cannot allocate ${4 * step} bytes in wasm memory to read ${dataset.path}`)
  try {
    for (let start = 0; start < length; start += step) {
      signal?.throwIfAborted()
      const n = Math.min(length, start + step) - start
      const count = [BigInt(n)]
      quietly(() => Module.get_dataset_data(dataset.file_id, dataset.path, count, [BigInt(start)], [1n], BigInt(ptr)))
      try {
        // Views made after the read: the wasm memory may have grown (and moved) during it.
        // Each name is decoded natively straight from wasm memory into its one string
        // (Emscripten's UTF8ToString builds short strings a character at a time: ~190 bytes
        // of garbage per name).
        const heap = Module.HEAPU8
        const bytes = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength)
        const pointers = new Uint32Array(heap.buffer, ptr, n)
        const out = new Array<string>(n)
        for (let i = 0; i < n; i++) {
          const p = pointers[i]!
          out[i] = p === 0 ? '' : bytes.toString(encoding, p, heap.indexOf(0, p))
        }
        visit(out)
      } finally {
        quietly(() => Module.reclaim_vlen_memory_count(dataset.file_id, dataset.path, '', BigInt(ptr), count))
      }
    }
  } finally {
    Module._free(ptr)
  }
  return length
}
