import type { StructureArray, StructureColumn, StructureDataFrame, StructureElement, StructureGroup, StructureNode } from '@assets/core'
import * as zarr from 'zarrita'
import type { FileSystemStore } from './fs-store.js'
import { zarrCompressedParts } from './zarr-vector.js'

type ZArray = zarr.Array<zarr.DataType, FileSystemStore>
type ZGroup = zarr.Group<FileSystemStore>

/** Bytes read per slice when an array is streamed. */
const SLICE_BYTES = 16 * 1024 * 1024

const join = (path: string, name: string): string => (path ? `${path}/${name}` : name)

/** numpy-style dtype name; v2 object arrays written by anndata hold strings. */
export function zarrDtype(dtype: string): string {
  if (dtype === 'v2:object' || dtype === 'string' || dtype.startsWith('v2:U') || dtype.startsWith('v2:S')) return 'string'
  return dtype
}

export async function openZarrNode(store: FileSystemStore, path: string): Promise<ZArray | ZGroup | undefined> {
  try {
    return (await zarr.open(zarr.root(store).resolve(path))) as ZArray | ZGroup
  } catch {
    return undefined
  }
}

/** The structure view of a zarr node, with AnnData's encodings recognised from attributes. */
export async function zarrNode(store: FileSystemStore, path: string): Promise<StructureNode | undefined> {
  const node = await openZarrNode(store, path)
  if (!node) return undefined
  const attributes = { ...(node.attrs as Record<string, unknown>) }
  if (node instanceof zarr.Array) {
    if (node.shape.length === 0) {
      return { kind: 'scalar', path, attributes, dtype: zarrDtype(node.dtype), value: async () => plain(await zarr.get(node)) }
    }
    return denseArray(node, path, attributes)
  }
  const encoding = attributes['encoding-type']
  const keys = await store.children(path)
  // As for HDF5: files of anndata ≤ 0.7 carry no encoding, their layout still tells.
  const legacySparse = encoding === undefined && ['data', 'indices', 'indptr'].every((k) => keys.includes(k)) && 'shape' in attributes
  if (encoding === 'csr_matrix' || encoding === 'csc_matrix' || legacySparse) {
    const data = await openZarrNode(store, join(path, 'data'))
    const shape = Array.isArray(attributes.shape) ? (attributes.shape as unknown[]).map(Number) : []
    const sparse: StructureArray = {
      kind: 'array', path, attributes, shape, encoding: encoding === 'csc_matrix' ? 'csc' : 'csr',
      dtype: data instanceof zarr.Array ? zarrDtype(data.dtype) : 'unknown',
      scan: async (visit, signal) => (data instanceof zarr.Array ? scanArray(data, visit, signal) : 0),
      // Read by ranges in the values pass: indices against the minor dimension, rows, columns.
      compressed: await zarrCompressedParts(store, path),
    }
    return sparse
  }
  if (encoding === 'dataframe' || (encoding === undefined && '_index' in attributes)) return frame(store, path, attributes, keys)
  const group: StructureGroup = { kind: 'group', path, attributes, keys: async () => keys, child: async (name) => (keys.includes(name) ? zarrNode(store, join(path, name)) : undefined) }
  return group
}

/** The stored-element view of a zarr group or array (see StructureElement). */
export async function zarrElement(store: FileSystemStore, path: string): Promise<StructureElement | undefined> {
  const node = await openZarrNode(store, path)
  if (!node) return undefined
  const attributes = { ...(node.attrs as Record<string, unknown>) }
  if (node instanceof zarr.Array) {
    return { path, attributes, shape: node.shape, keys: async () => [], child: async () => undefined, scan: (visit, signal) => scanArray(node, visit, signal) }
  }
  const keys = await store.children(path)
  return { path, attributes, keys: async () => keys, child: async (name) => (keys.includes(name) ? zarrElement(store, join(path, name)) : undefined) }
}

function denseArray(node: ZArray, path: string, attributes: Record<string, unknown>): StructureArray {
  return {
    kind: 'array', path, attributes, dtype: zarrDtype(node.dtype), shape: node.shape, chunks: node.chunks, encoding: 'dense',
    scan: (visit, signal) => scanArray(node, visit, signal),
  }
}

/** Streams an array along its first dimension, whole chunks at a time. */
async function scanArray(node: ZArray, visit: (values: ArrayLike<number | bigint>) => void, signal?: AbortSignal): Promise<number> {
  const rows = node.shape[0] ?? 0
  const rowValues = node.shape.slice(1).reduce((a, b) => a * b, 1)
  const bySize = Math.max(1, Math.floor(SLICE_BYTES / Math.max(1, rowValues * 8)))
  const chunkRows = node.chunks[0] ?? 1
  const step = Math.max(chunkRows, Math.floor(bySize / chunkRows) * chunkRows)
  let visited = 0
  for (let start = 0; start < rows; start += step) {
    signal?.throwIfAborted()
    const selection = [zarr.slice(start, Math.min(rows, start + step)), ...node.shape.slice(1).map(() => null)]
    const part = (await zarr.get(node, selection)) as { data: ArrayLike<number | bigint> }
    visit(part.data)
    visited += part.data.length
  }
  return visited
}

async function frame(store: FileSystemStore, path: string, attributes: Record<string, unknown>, keys: string[]): Promise<StructureDataFrame> {
  const indexName = typeof attributes._index === 'string' ? attributes._index : '_index'
  const order = Array.isArray(attributes['column-order']) ? (attributes['column-order'] as unknown[]).map(String) : keys.filter((k) => k !== indexName)
  const index = keys.includes(indexName) ? await column(store, join(path, indexName)) : undefined
  const firstColumn = index ?? (order[0] === undefined || !keys.includes(order[0]) ? undefined : await column(store, join(path, order[0])))
  return {
    kind: 'dataframe', path, attributes, length: firstColumn?.length ?? 0, columnNames: order,
    column: async (name) => (keys.includes(name) && name !== indexName ? column(store, join(path, name)) : undefined),
    index: async () => index,
  }
}

async function column(store: FileSystemStore, path: string): Promise<StructureColumn | undefined> {
  const node = await openZarrNode(store, path)
  if (node instanceof zarr.Array) {
    return { path, dtype: zarrDtype(node.dtype), categorical: false, nullable: false, length: node.shape[0] ?? 0, values: async () => readAll(node) }
  }
  if (!node) return undefined
  const attrs = node.attrs as Record<string, unknown>
  const part = async (name: string) => {
    const a = await openZarrNode(store, join(path, name))
    return a instanceof zarr.Array ? a : undefined
  }
  if (attrs['encoding-type'] === 'categorical') {
    const [codes, categories] = [await part('codes'), await part('categories')]
    if (!codes || !categories) return undefined
    return {
      path, dtype: zarrDtype(categories.dtype), categorical: true, nullable: true, length: codes.shape[0] ?? 0,
      categories: () => readAll(categories),
      values: async () => {
        const [c, cats] = [await readAll(codes), await readAll(categories)]
        return Array.from({ length: c.length }, (_, i) => (Number(c[i]) < 0 ? null : cats[Number(c[i])]))
      },
    }
  }
  const [values, mask] = [await part('values'), await part('mask')]
  if (!values) return undefined
  return {
    path, dtype: zarrDtype(values.dtype), categorical: false, nullable: true, length: values.shape[0] ?? 0,
    values: async () => {
      const [v, m] = [await readAll(values), mask ? await readAll(mask) : undefined]
      return m ? Array.from({ length: v.length }, (_, i) => (m[i] ? null : v[i])) : v
    },
  }
}

async function readAll(node: ZArray): Promise<ArrayLike<unknown>> {
  const result = (await zarr.get(node)) as { data: ArrayLike<unknown> }
  return Array.from(result.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v))
}

function plain(value: unknown): unknown {
  const v = typeof value === 'object' && value !== null && 'data' in value ? (value as { data: ArrayLike<unknown> }).data[0] : value
  return typeof v === 'bigint' ? Number(v) : v
}
