/** Constraints on individual values: a column's cells, a scalar, an attribute, a matrix. */
export interface ValueRule {
  enum?: Array<string | number | boolean>
  /** A regular expression every string value must match (anchored by the author). */
  pattern?: string
  min?: number
  max?: number
  /** Every numeric value is a whole number (raw counts). */
  integer?: boolean
  /** No NaN, +inf or -inf. */
  finite?: boolean
  /** No value repeats (an index). */
  unique?: boolean
}

/** A dimension size: exact, any (null or `*`), a named size bound on first use, or a range. */
export type DimensionRule = number | string | null | { min?: number; max?: number }

export interface AttributeRule extends ValueRule {
  required?: boolean
}

interface ElementBase {
  description?: string
  attributes?: Record<string, AttributeRule>
}

export type ArrayEncoding = 'dense' | 'csr' | 'csc'

export interface ArrayDef extends ElementBase {
  type: 'ndarray' | 'sparse'
  allowed_dtypes?: string[]
  ndim?: number
  shape?: DimensionRule[]
  /** Chunk sizes per dimension (zarr, chunked HDF5); null: any. */
  chunks?: Array<number | null>
  /** ndarray: dense unless listed; sparse: csr or csc unless listed. */
  encodings?: ArrayEncoding[]
  /** Checked only when value checks are on: they read the whole matrix in slices. */
  values?: Pick<ValueRule, 'integer' | 'finite' | 'min' | 'max'>
  /** A dense matrix with at least this share of zeros must be stored sparse (CELLxGENE: 0.5). */
  sparse_above_zero_fraction?: number
}

export interface ColumnDef extends ValueRule {
  description?: string
  /** Allowed dtypes of the values (of the categories, for a categorical column). */
  dtype?: string | string[]
  /** true: must be categorical; false: must not be; absent: either. */
  categorical?: boolean
  /** false: no missing values allowed. */
  nullable?: boolean
}

export interface DataFrameDef extends ElementBase {
  type: 'dataframe'
  required?: string[]
  columns?: Record<string, ColumnDef>
  forbidden?: string[]
  index?: ColumnDef
  length?: DimensionRule
  /** Column names may not start with these prefixes (CELLxGENE: `__`). */
  forbidden_prefixes?: string[]
}

export interface ObjectDef extends ElementBase {
  type: 'object'
  required?: string[]
  properties?: Record<string, ElementDef>
  forbidden?: string[]
  /** Children whose names match a regular expression (`^X_` for embeddings). */
  pattern_properties?: Record<string, ElementDef>
  /** At least this many children must match `pattern_properties`. */
  min_pattern_matches?: number
  forbidden_prefixes?: string[]
}

export interface ScalarDef extends ElementBase, ValueRule {
  type: 'scalar' | 'string' | 'number' | 'boolean'
  dtype?: string | string[]
}

export type ElementDef = ArrayDef | DataFrameDef | ObjectDef | ScalarDef

export const VALIDATOR_TYPES = ['AnnData', 'Zarr', 'Table', 'CSV'] as const
export type ValidatorType = (typeof VALIDATOR_TYPES)[number]

/**
 * One validator of a document. AnnData and Zarr validators describe the root group (its
 * `properties` are the root's children); Table/CSV validators describe the table (its
 * `properties` are column definitions).
 */
export interface ValidatorDef {
  id: string
  type: ValidatorType
  description?: string
  /** `warning`: failures are reported but do not make the asset invalid. */
  severity?: 'error' | 'warning'
  required?: string[]
  properties?: Record<string, ElementDef | ColumnDef>
  forbidden?: string[]
  pattern_properties?: Record<string, ElementDef>
  min_pattern_matches?: number
  forbidden_prefixes?: string[]
  attributes?: Record<string, AttributeRule>
}

export interface DeclarativeSchema {
  version: 1
  description?: string
  /** Named element definitions; an element whose `type` names one inherits it. */
  types: Record<string, ElementDef>
  validators: ValidatorDef[]
}
