import { DenseRowWalker, type RowStats, SparseRowTally, wordsOf } from './matrix-rows.js'
import type { ArrayDef } from './schema-types.js'
import type { CompressedParts, StructureArray } from './structure.js'

export type { RowStats } from './matrix-rows.js'

/** What a scan computes beyond the value tallies (each costs memory per row or column). */
export interface MatrixScanNeeds {
  /** Rows without a non-zero value, rows identical to another. */
  rows?: boolean
  /** Which columns hold a non-zero value. */
  columns?: boolean
}

/** What the values pass found in a CSR/CSC matrix's `indices` and `indptr`. */
export interface SparseIndexStats {
  /** `indices` entries outside [0, minor dimension). */
  outOfRange: number
  examples: string[]
  /** Why indptr cannot be walked (not starting at 0, decreasing, ending short); rows unknown then. */
  indptr?: string
}

export interface MatrixScanResult {
  visited: number
  zeros: number
  notInteger: number
  /** NaN, +inf and -inf. */
  notFinite: number
  /** NaN alone. */
  nan: number
  /** Non-zero values that are not positive whole numbers (negative, fractional, NaN, ±inf). */
  notPositiveInteger: number
  outOfRange: number
  /** Sparse matrices whose parts the structure exposes: their index checks. */
  sparse?: SparseIndexStats
  /** Asked with `rows`, on a 2-d matrix: empty and duplicate rows. */
  rows?: RowStats
  /** Asked with `columns`, on a 2-d matrix: 1 where the column holds a non-zero value. */
  nonzeroColumns?: Uint8Array
}

/** Entries of a sparse matrix's parts read at a time: 1 Mi entries, 4-8 MiB per part. */
const ENTRIES = 1 << 20

/**
 * One pass over a matrix's stored values counting what the value rules forbid. A tight loop
 * over each slice: this runs over gigabytes, so nothing is allocated per value. A sparse
 * matrix whose parts are exposed is read part by part in step, so its `indices` are checked
 * against the minor dimension in the same pass. With a cache, a matrix asked for by several
 * checks is read once.
 */
export async function scanMatrix(
  array: StructureArray,
  rule: ArrayDef,
  signal?: AbortSignal,
  options: { needs?: MatrixScanNeeds; cache?: MatrixScans } = {},
): Promise<MatrixScanResult | undefined> {
  const bounded = rule.values?.min !== undefined || rule.values?.max !== undefined
  if (options.cache && !bounded) return options.cache.scan(array, signal, options.needs)
  return runScan(array, rule.values?.min, rule.values?.max, options.needs ?? {}, signal)
}

/**
 * Scans shared by the checks of one validation, by element path: the schema walk, the value
 * checks and CELLxGENE's rules all ask for X, and a 2 GiB X should be read once.
 */
export class MatrixScans {
  private readonly results = new Map<string, { needs: MatrixScanNeeds; result: Promise<MatrixScanResult | undefined> }>()
  private readonly planned = new Map<string, MatrixScanNeeds>()

  /** Declares what a later check of `path` needs, so that the first scan computes it too. */
  plan(path: string, needs: MatrixScanNeeds): void {
    this.planned.set(path, merge(this.planned.get(path), needs))
  }

  scan(array: StructureArray, signal?: AbortSignal, needs: MatrixScanNeeds = {}): Promise<MatrixScanResult | undefined> {
    const have = this.results.get(array.path)
    if (have && (!needs.rows || have.needs.rows) && (!needs.columns || have.needs.columns)) return have.result
    const all = merge(merge(have?.needs, this.planned.get(array.path)), needs)
    const result = runScan(array, undefined, undefined, all, signal)
    this.results.set(array.path, { needs: all, result })
    return result
  }

  /** Every scanned sparse matrix's index errors, once each. */
  async sparseIssues(): Promise<Array<{ code: 'INVALID_SPARSE'; path: string; message: string }>> {
    const out = []
    for (const [path, { result }] of this.results) {
      const scan = await result.catch(() => undefined)
      if (scan) out.push(...sparseIndexIssues(path, scan))
    }
    return out
  }
}

const merge = (a: MatrixScanNeeds | undefined, b: MatrixScanNeeds | undefined): MatrixScanNeeds => ({
  rows: Boolean(a?.rows || b?.rows),
  columns: Boolean(a?.columns || b?.columns),
})

async function runScan(array: StructureArray, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, needs: MatrixScanNeeds, signal?: AbortSignal) {
  const result: MatrixScanResult = { visited: 0, zeros: 0, notInteger: 0, notFinite: 0, nan: 0, notPositiveInteger: 0, outOfRange: 0 }
  const twoD = array.shape.length === 2
  const rows = Boolean(needs.rows && twoD)
  const columns = Boolean(needs.columns && twoD)
  if (array.compressed && array.encoding !== 'dense' && twoD) {
    await scanCompressed(array, array.compressed, min, max, result, rows, columns, signal)
    return result
  }
  if (!array.scan) return undefined
  const walker = (rows || columns) && array.encoding === 'dense' ? new DenseRowWalker(array.shape[0]!, array.shape[1]!, rows, columns) : undefined
  const bounded = min !== Number.NEGATIVE_INFINITY || max !== Number.POSITIVE_INFINITY
  result.visited = await array.scan((values) => {
    if (values.length === 0) return
    if (walker && values instanceof Float32Array && !bounded) {
      walker.addFloat32(values, result)
      return
    }
    tally(values, min, max, result)
    walker?.add(values)
  }, signal)
  walker?.finish(result)
  return result
}

function tally(values: ArrayLike<number | bigint>, min: number, max: number, result: MatrixScanResult): void {
  // 64-bit integers arrive as BigInt arrays: whole and finite by construction.
  if (typeof values[0] === 'bigint') tallyBigInts(values as ArrayLike<bigint>, min, max, result)
  else tallyNumbers(values as ArrayLike<number>, min, max, result)
}

function tallyNumbers(values: ArrayLike<number>, min: number, max: number, result: MatrixScanResult): void {
  let zeros = 0
  let notInteger = 0
  let notFinite = 0
  let nan = 0
  let negative = 0
  let outOfRange = 0
  const n = values.length
  const bounded = min !== Number.NEGATIVE_INFINITY || max !== Number.POSITIVE_INFINITY
  for (let i = 0; i < n; i++) {
    const v = values[i]!
    if (v === 0) {
      zeros++
      continue
    }
    // NaN and ±inf are the values for which v - v is not 0. NaN compares false with any bound,
    // so with bounds set it counts as out of range too (else `min: 0, max: 1` passed NaNs).
    if (v - v !== 0) {
      notFinite++
      if (Number.isNaN(v)) nan++
      if (bounded && !(v >= min && v <= max)) outOfRange++
      continue
    }
    if (Math.floor(v) !== v) notInteger++
    else if (v < 0) negative++
    if (bounded && (v < min || v > max)) outOfRange++
  }
  if (bounded && (min > 0 || max < 0)) outOfRange += zeros
  result.zeros += zeros
  result.notInteger += notInteger
  result.notFinite += notFinite
  result.nan += nan
  result.notPositiveInteger += notFinite + notInteger + negative
  result.outOfRange += outOfRange
}

function tallyBigInts(values: ArrayLike<bigint>, min: number, max: number, result: MatrixScanResult): void {
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i])
    if (v === 0) result.zeros++
    else if (v < 0) result.notPositiveInteger++
    if (v < min || v > max) result.outOfRange++
  }
}

/** Numbers whatever the stored integer width: indices and indptr may be int64 (BigInt arrays). */
function numbers(values: ArrayLike<number | bigint>): ArrayLike<number> {
  if (values.length === 0 || typeof values[0] !== 'bigint') return values as ArrayLike<number>
  const out = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i])
  return out
}

/**
 * indptr whole (one number per row or column, as the row tallies cost anyway), or why it
 * cannot be walked. The structure checks report a bad indptr on their own; here it only
 * decides whether rows can be told apart.
 */
async function readIndptr(parts: CompressedParts, major: number, stored: number, signal?: AbortSignal): Promise<Float64Array | string> {
  if (parts.indptr.length !== major + 1) return `has ${parts.indptr.length} entries, expected ${major + 1}`
  const indptr = new Float64Array(major + 1)
  for (let p = 0; p <= major; p += ENTRIES) {
    signal?.throwIfAborted()
    indptr.set(numbers(await parts.indptr.read(p, Math.min(major + 1, p + ENTRIES))), p)
  }
  if (indptr[0] !== 0) return `starts at ${indptr[0]}, expected 0`
  for (let i = 1; i <= major; i++) if (!(indptr[i]! >= indptr[i - 1]!)) return `decreases at entry ${i}`
  if (indptr[major] !== stored) return `ends at ${indptr[major]}, but data holds ${stored} values`
  return indptr
}

async function scanCompressed(
  array: StructureArray,
  parts: CompressedParts,
  min: number,
  max: number,
  result: MatrixScanResult,
  rows: boolean,
  columns: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const csr = array.encoding === 'csr'
  const [nRows, nCols] = array.shape as [number, number]
  const [major, minor] = csr ? [nRows, nCols] : [nCols, nRows]
  const stored = parts.data.length
  const nIndices = Math.min(parts.indices.length, stored)
  const indptr = await readIndptr(parts, major, stored, signal)
  const stats: SparseIndexStats = { outOfRange: 0, examples: [] }
  result.sparse = stats
  let walk: Float64Array | undefined
  if (typeof indptr === 'string') stats.indptr = indptr
  else if (parts.indices.length === stored) walk = indptr
  const rowTally = walk && (rows || columns) ? new SparseRowTally(nRows, nCols, rows, columns) : undefined
  let line = -1
  let lineEnd = 0
  for (let p = 0; p < stored; p += ENTRIES) {
    signal?.throwIfAborted()
    const q = Math.min(stored, p + ENTRIES)
    const data = await parts.data.read(p, q)
    tally(data, min, max, result)
    if (p >= nIndices) continue
    const indices = numbers(await parts.indices.read(p, Math.min(q, nIndices)))
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i]!
      if (!(j >= 0 && j < minor && Math.floor(j) === j)) {
        stats.outOfRange++
        if (stats.examples.length < 3) stats.examples.push(`${j} at entry ${p + i}`)
      }
    }
    if (!rowTally || !walk) continue
    const values = numbers(data)
    const words = wordsOf(data)
    for (let k = p; k < q; ) {
      while (k >= lineEnd) lineEnd = walk[++line + 1]!
      const end = Math.min(q, lineEnd)
      for (; k < end; k++) {
        const v = values[k - p]!
        const j = indices[k - p]!
        if (v === 0 || !(j >= 0 && j < minor)) continue
        if (csr) rowTally.add(line, j, words[k - p]!)
        else rowTally.add(j, line, words[k - p]!)
      }
    }
  }
  result.visited = stored
  rowTally?.finish(result)
}

/** The values pass's errors about a sparse matrix's indices, naming the element. */
export function sparseIndexIssues(path: string, scan: MatrixScanResult): Array<{ code: 'INVALID_SPARSE'; path: string; message: string }> {
  const sparse = scan.sparse
  if (!sparse || sparse.outOfRange === 0) return []
  const at = path ? `${path}/indices` : 'indices'
  return [{ code: 'INVALID_SPARSE', path: at, message: `${sparse.outOfRange} entries are outside [0, minor dimension) (e.g. ${sparse.examples.join(', ')})` }]
}
