/**
 * The read-only view of a dataset that the declarative checker walks. Each file format (h5ad,
 * zarr, CSV …) implements it; values are read lazily, only for the checks that need them.
 */

/** Numeric and string element types, numpy-style: `float32`, `int64`, `uint8`, `bool`, `string`. */
export type StructureDtype = string

interface StructureNodeBase {
  /** Slash-separated path from the root, e.g. `obs/cell_type`; empty for the root. */
  readonly path: string
  readonly attributes: Readonly<Record<string, unknown>>
}

/** A mapping of named children: an HDF5 or zarr group, AnnData's `uns`, `obsm`, `layers`. */
export interface StructureGroup extends StructureNodeBase {
  readonly kind: 'group'
  keys(): Promise<string[]>
  child(name: string): Promise<StructureNode | undefined>
}

/** Dense or sparse n-dimensional array, described without reading its values. */
export interface StructureArray extends StructureNodeBase {
  readonly kind: 'array'
  readonly dtype: StructureDtype
  readonly shape: number[]
  readonly chunks?: number[]
  readonly encoding: 'dense' | 'csr' | 'csc'
  /**
   * Streams the stored values in slices (for a sparse array only the stored entries), so a
   * large matrix is never held whole. Returns how many values were visited.
   */
  scan?(visit: (values: ArrayLike<number | bigint>) => void, signal?: AbortSignal): Promise<number>
  /**
   * Sparse arrays: their three stored parts, read by ranges, so that the values pass can check
   * `indices` against the minor dimension and walk the matrix row by row.
   */
  readonly compressed?: CompressedParts
}

/** One stored 1-d array read by ranges (a part of a sparse matrix). */
export interface StructureVector {
  readonly path: string
  readonly dtype: StructureDtype
  readonly length: number
  /** The values at start ≤ i < end. */
  read(start: number, end: number): Promise<ArrayLike<number | bigint>>
}

/** The parts of a CSR/CSC matrix as AnnData stores them. */
export interface CompressedParts {
  readonly indptr: StructureVector
  readonly indices: StructureVector
  readonly data: StructureVector
}

/** One column of a dataframe: plain, categorical or nullable. */
export interface StructureColumn {
  readonly path: string
  readonly dtype: StructureDtype
  readonly categorical: boolean
  readonly nullable: boolean
  readonly length: number
  /** Decoded values: categories instead of codes, null where missing. */
  values(): Promise<ArrayLike<unknown>>
  /** For a categorical column, its categories only (cheaper than every value). */
  categories?(): Promise<ArrayLike<unknown>>
  /** How many cells are missing, when the format can tell without decoding every cell. */
  missing?(): Promise<number>
  /** Streams the decoded cells in slices (an index of 300 000 names need not be held whole). */
  scan?(visit: (values: ArrayLike<unknown>) => void, signal?: AbortSignal): Promise<number>
}

export interface StructureDataFrame extends StructureNodeBase {
  readonly kind: 'dataframe'
  readonly length: number
  readonly columnNames: string[]
  column(name: string): Promise<StructureColumn | undefined>
  index(): Promise<StructureColumn | undefined>
}

/** A single value: a string, number or boolean stored on its own (AnnData `uns/title`). */
export interface StructureScalar extends StructureNodeBase {
  readonly kind: 'scalar'
  readonly dtype: StructureDtype
  value(): Promise<unknown>
}

export type StructureNode = StructureGroup | StructureArray | StructureDataFrame | StructureScalar

/**
 * A stored element as the file holds it, beneath the typed views above (a dataframe's column
 * groups, a sparse matrix's parts): what checks of the storage layout itself walk, such as
 * AnnData's encoding attributes and the agreement of a sparse matrix's parts. Each format
 * that has a typed view gives this one too, from the same file.
 */
export interface StructureElement {
  /** Slash-separated path from the root; empty for the root. */
  readonly path: string
  readonly attributes: Readonly<Record<string, unknown>>
  /** An array's shape; undefined for a group. */
  readonly shape?: number[]
  /** A group's member names, sorted; empty for an array. */
  keys(): Promise<string[]>
  child(name: string): Promise<StructureElement | undefined>
  /** An array's stored values, streamed in slices along its first dimension. */
  scan?(visit: (values: ArrayLike<number | bigint>) => void, signal?: AbortSignal): Promise<number>
}
