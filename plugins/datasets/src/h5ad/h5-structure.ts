import type { CompressedParts, StructureArray, StructureColumn, StructureDataFrame, StructureElement, StructureGroup, StructureNode, StructureScalar, StructureVector } from '@assets/core'
import { h5Dtype } from './h5-dtype.js'
import { scanDataset } from './h5-slab-reader.js'
import { scanVlenStrings } from './h5-string-reader.js'
import { type H5Dataset, type H5File, type H5Group, quietly } from './h5wasm-loader.js'

type Entity = H5Group | H5Dataset

const isGroup = (e: unknown): e is H5Group => typeof (e as H5Group | null)?.keys === 'function'
const isDataset = (e: unknown): e is H5Dataset => !isGroup(e) && typeof (e as H5Dataset | null)?.slice === 'function'

// Checks visit elements more than once (the encoding walk, then the AnnData and schema
// checks); attributes are read from HDF5 once per file and element.
const attributeCache = new WeakMap<H5File, Map<string, Record<string, unknown>>>()

/** Attribute values as plain JSON-like values (numbers, strings, arrays); unreadable ones skipped. */
export function readAttributes(file: H5File, entity: Entity): Record<string, unknown> {
  let cache = attributeCache.get(file)
  if (!cache) {
    cache = new Map()
    attributeCache.set(file, cache)
  }
  const cached = cache.get(entity.path)
  if (cached) return cached
  const out: Record<string, unknown> = {}
  cache.set(entity.path, out)
  const attrs = quietly(() => entity.attrs)
  for (const [name, attr] of Object.entries(attrs)) {
    try {
      out[name] = quietly(() => attr.json_value)
    } catch {
      out[name] = undefined
    }
  }
  return out
}

export function encodingOf(attributes: Record<string, unknown>): string | undefined {
  const e = attributes['encoding-type']
  return typeof e === 'string' ? e : undefined
}

/** Looks up a path; undefined when absent (HDF5's own trace for the failed look-up is dropped). */
export function h5Get(file: H5File, path: string): Entity | undefined {
  try {
    const e = quietly(() => file.get(path))
    return isGroup(e) || isDataset(e) ? e : undefined
  } catch {
    return undefined
  }
}

/** The structure view of an HDF5 element, chosen by its AnnData encoding (or its shape). */
export function h5Node(file: H5File, path: string): StructureNode | undefined {
  const entity = h5Get(file, path || '/')
  if (!entity) return undefined
  const attributes = readAttributes(file, entity)
  const encoding = encodingOf(attributes)
  if (isDataset(entity)) {
    const shape = quietly(() => entity.shape) ?? []
    return shape.length === 0 ? scalarNode(entity, path, attributes) : denseNode(entity, path, attributes, shape)
  }
  const keys = quietly(() => entity.keys())
  const sparse = encoding === 'csr_matrix' || encoding === 'csc_matrix' || (encoding === undefined && ['data', 'indices', 'indptr'].every((k) => keys.includes(k)) && 'shape' in attributes)
  if (sparse) return sparseNode(file, path, attributes, encoding === 'csc_matrix' ? 'csc' : 'csr')
  if (encoding === 'dataframe' || (encoding === undefined && '_index' in attributes)) return frameNode(file, path, attributes, keys)
  return groupNode(file, path, attributes, keys)
}

/** The stored-element view of an HDF5 group or dataset (see StructureElement). */
export function h5Element(file: H5File, path: string): StructureElement | undefined {
  const entity = h5Get(file, path || '/')
  if (!entity) return undefined
  const attributes = readAttributes(file, entity)
  if (isDataset(entity)) {
    return {
      path, attributes, shape: quietly(() => entity.shape) ?? [],
      keys: async () => [], child: async () => undefined,
      scan: (visit, signal) => scanDataset(entity, visit, signal),
    }
  }
  const keys = [...quietly(() => entity.keys())].sort()
  return { path, attributes, keys: async () => keys, child: async (name) => (keys.includes(name) ? h5Element(file, path ? `${path}/${name}` : name) : undefined) }
}

function groupNode(file: H5File, path: string, attributes: Record<string, unknown>, keys: string[]): StructureGroup {
  return {
    kind: 'group',
    path,
    attributes,
    keys: async () => keys,
    child: async (name) => (keys.includes(name) ? h5Node(file, path ? `${path}/${name}` : name) : undefined),
  }
}

function scalarNode(dataset: H5Dataset, path: string, attributes: Record<string, unknown>): StructureScalar {
  const dtype = h5Dtype(dataset)
  return { kind: 'scalar', path, attributes, dtype, value: async () => plain(quietly(() => dataset.json_value), dtype) }
}

function denseNode(dataset: H5Dataset, path: string, attributes: Record<string, unknown>, shape: number[]): StructureArray {
  const dtype = h5Dtype(dataset)
  const chunks = quietly(() => dataset.metadata.chunks) ?? undefined
  return {
    kind: 'array',
    path,
    attributes,
    dtype,
    shape,
    chunks,
    encoding: 'dense',
    scan: (visit, signal) => scanDataset(dataset, visit, signal),
  }
}

function sparseNode(file: H5File, path: string, attributes: Record<string, unknown>, encoding: 'csr' | 'csc'): StructureArray {
  const data = h5Get(file, `${path}/data`)
  const shape = Array.isArray(attributes.shape) ? (attributes.shape as unknown[]).map(Number) : []
  return {
    kind: 'array',
    path,
    attributes,
    dtype: isDataset(data) ? h5Dtype(data) : 'unknown',
    shape,
    encoding,
    scan: async (visit, signal) => (isDataset(data) ? scanDataset(data, visit, signal) : 0),
    compressed: compressedParts(file, path),
  }
}

/** data, indices and indptr read by ranges, for the values pass (undefined when one is missing). */
function compressedParts(file: H5File, path: string): CompressedParts | undefined {
  const part = (name: string): StructureVector | undefined => {
    const dataset = h5Get(file, `${path}/${name}`)
    if (!isDataset(dataset)) return undefined
    const shape = quietly(() => dataset.shape) ?? []
    if (shape.length !== 1) return undefined
    return {
      path: `${path}/${name}`,
      dtype: h5Dtype(dataset),
      length: shape[0]!,
      read: async (start, end) => (quietly(() => dataset.slice([[start, end]])) as ArrayLike<number | bigint> | null) ?? [],
    }
  }
  const [indptr, indices, data] = [part('indptr'), part('indices'), part('data')]
  return indptr && indices && data ? { indptr, indices, data } : undefined
}

function frameNode(file: H5File, path: string, attributes: Record<string, unknown>, keys: string[]): StructureDataFrame {
  const indexName = typeof attributes._index === 'string' ? attributes._index : '_index'
  const order = Array.isArray(attributes['column-order']) ? (attributes['column-order'] as unknown[]).map(String) : keys.filter((k) => k !== indexName)
  const index = keys.includes(indexName) ? h5Column(file, `${path}/${indexName}`) : undefined
  const firstColumn = index ?? (order[0] === undefined ? undefined : h5Column(file, `${path}/${order[0]}`))
  return {
    kind: 'dataframe',
    path,
    attributes,
    length: firstColumn?.length ?? 0,
    columnNames: order,
    column: async (name) => (keys.includes(name) && name !== indexName ? h5Column(file, `${path}/${name}`) : undefined),
    index: async () => index,
  }
}

/** A dataframe column: a plain dataset, a categorical group or a nullable group. */
export function h5Column(file: H5File, path: string): StructureColumn | undefined {
  const entity = h5Get(file, path)
  if (isDataset(entity)) {
    const dtype = h5Dtype(entity)
    const length = (quietly(() => entity.shape) ?? [0])[0] ?? 0
    return { path, dtype, categorical: false, nullable: false, length, values: async () => readValues(entity, dtype), scan: (visit, signal) => scanCells(entity, dtype, length, visit, signal) }
  }
  if (!isGroup(entity)) return undefined
  const keys = quietly(() => entity.keys())
  const encoding = encodingOf(readAttributes(file, entity))
  if (encoding === 'categorical' || (encoding === undefined && keys.includes('codes') && keys.includes('categories'))) {
    const codes = h5Get(file, `${path}/codes`)
    const categories = h5Get(file, `${path}/categories`)
    if (!isDataset(codes) || !isDataset(categories)) return undefined
    const dtype = h5Dtype(categories)
    const readCategories = async () => readValues(categories, dtype)
    return {
      path,
      dtype,
      categorical: true,
      nullable: true,
      length: (quietly(() => codes.shape) ?? [0])[0] ?? 0,
      categories: readCategories,
      // Missing cells are code -1: counted on the codes, without decoding every cell.
      missing: async () => {
        const c = quietly(() => codes.value) as ArrayLike<number>
        let n = 0
        for (let i = 0; i < c.length; i++) if (c[i]! < 0) n++
        return n
      },
      values: async () => {
        const cats = await readCategories()
        const c = quietly(() => codes.value) as ArrayLike<number>
        return Array.from({ length: c.length }, (_, i) => (c[i]! < 0 ? null : cats[Number(c[i])]))
      },
    }
  }
  const values = h5Get(file, `${path}/values`)
  const mask = h5Get(file, `${path}/mask`)
  if (!isDataset(values)) return undefined
  const dtype = encoding === 'nullable-boolean' ? 'bool' : h5Dtype(values)
  return {
    path,
    dtype,
    categorical: false,
    nullable: true,
    length: (quietly(() => values.shape) ?? [0])[0] ?? 0,
    values: async () => {
      const v = readValues(values, dtype)
      const m = isDataset(mask) ? (quietly(() => mask.value) as ArrayLike<number>) : undefined
      return m ? Array.from({ length: v.length }, (_, i) => (m[i] ? null : v[i])) : v
    },
  }
}

/**
 * Cells read 256 at a time, so that decoded strings are dropped slice by slice and die young
 * (a large slice is still alive at each scavenge, which V8 counts as survival). Variable-length
 * strings (an obs index) are read straight from HDF5 (scanVlenStrings): h5wasm's slice made
 * about 200 bytes of garbage per name, and 268 435 names grew V8's young generation to 16 MiB.
 */
async function scanCells(dataset: H5Dataset, dtype: string, length: number, visit: (values: ArrayLike<unknown>) => void, signal?: AbortSignal): Promise<number> {
  const step = 256
  if (dtype === 'string') {
    const scanned = await scanVlenStrings(dataset, step, visit, signal)
    if (scanned !== undefined) return scanned
  }
  for (let start = 0; start < length; start += step) {
    signal?.throwIfAborted()
    const raw = quietly(() => dataset.slice([[start, Math.min(length, start + step)]])) as ArrayLike<unknown> | null
    if (raw) visit(dtype === 'bool' ? Array.from(raw, (v) => Boolean(v)) : raw)
  }
  return length
}

function readValues(dataset: H5Dataset, dtype: string): ArrayLike<unknown> {
  const raw = quietly(() => dataset.value) as ArrayLike<unknown> | null
  if (raw === null) return []
  if (dtype === 'bool') return Array.from(raw, (v) => Boolean(v))
  return raw
}

function plain(value: unknown, dtype: string): unknown {
  if (dtype === 'bool') return Boolean(value)
  return typeof value === 'bigint' ? Number(value) : value
}
