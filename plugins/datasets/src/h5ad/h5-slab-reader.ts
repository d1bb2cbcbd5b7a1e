import type { H5Dataset } from './h5wasm-loader.js'
import { loadH5wasm, quietly } from './h5wasm-loader.js'
import { h5Dtype } from './h5-dtype.js'

/**
 * Bytes read per slab when a dataset is streamed: big enough to be fast (per-slab overhead is
 * under a millisecond), small in memory (8 MiB: the values pass of a 2 GiB h5ad with the
 * CELLxGENE rules stays within its 150 MB budget).
 */
export const SLAB_BYTES = 8 * 1024 * 1024

type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array

const VIEWS: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => NumericArray> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
}

/**
 * Streams a dataset along its first dimension in slabs of about SLAB_BYTES. Numeric
 * little-endian data is read by HDF5 straight into one reused buffer in wasm memory and
 * visited in place, so a 2 GiB matrix costs one buffer, not a copy per slab.
 */
export async function scanDataset(dataset: H5Dataset, visit: (values: ArrayLike<number | bigint>) => void, signal?: AbortSignal): Promise<number> {
  const meta = quietly(() => dataset.metadata)
  const shape = meta.shape ?? []
  if (shape.length === 0 || shape[0] === 0) return 0
  const rowValues = shape.slice(1).reduce((a, b) => a * b, 1)
  const rowBytes = Math.max(1, rowValues * meta.size)
  const step = Math.max(1, Math.floor(SLAB_BYTES / rowBytes))
  const View = meta.littleEndian || meta.size === 1 ? VIEWS[h5Dtype(dataset)] : undefined
  if (!View || meta.vlen) return scanBySlice(dataset, shape, step, visit, signal)
  const { Module } = await loadH5wasm()
  const ptr = Module._malloc(Math.min(shape[0]!, step) * rowBytes)
  if (!ptr) throw new Error(`cannot allocate ${step * rowBytes} bytes in wasm memory to read ${dataset.path}`)
  let visited = 0
  try {
    for (let start = 0; start < shape[0]!; start += step) {
      signal?.throwIfAborted()
      const rows = Math.min(shape[0]!, start + step) - start
      const count = [BigInt(rows), ...shape.slice(1).map(BigInt)]
      const offset = [BigInt(start), ...shape.slice(1).map(() => 0n)]
      const strides = shape.map(() => 1n)
      quietly(() => Module.get_dataset_data(dataset.file_id, dataset.path, count, offset, strides, BigInt(ptr)))
      // A view, made after the read: the wasm memory may have grown (and moved) during it.
      const values = new View(Module.HEAPU8.buffer as ArrayBuffer, ptr, rows * rowValues)
      visit(values)
      visited += values.length
      await new Promise<void>((r) => setImmediate(r))
    }
  } finally {
    Module._free(ptr)
  }
  return visited
}

async function scanBySlice(dataset: H5Dataset, shape: number[], step: number, visit: (values: ArrayLike<number | bigint>) => void, signal?: AbortSignal): Promise<number> {
  let visited = 0
  for (let start = 0; start < shape[0]!; start += step) {
    signal?.throwIfAborted()
    const values = quietly(() => dataset.slice([[start, Math.min(shape[0]!, start + step)]])) as ArrayLike<number | bigint> | null
    if (!values) continue
    visit(values)
    visited += values.length
    await new Promise<void>((r) => setImmediate(r))
  }
  return visited
}
