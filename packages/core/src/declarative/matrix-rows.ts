/**
 * Per-row facts of a matrix gathered while its values stream by: rows with no non-zero value
 * and rows identical to another. Memory is a few bytes per row (a 64-bit hash and a flag),
 * never the rows themselves.
 */

export interface RowStats {
  /** Rows with no non-zero value. */
  empty: number
  emptyExamples: number[]
  /** Rows identical to an earlier non-empty row (equal 64-bit hashes of their entries). */
  duplicates: number
  duplicateExamples: Array<[number, number]>
}

interface RowTarget {
  rows?: RowStats
  nonzeroColumns?: Uint8Array
}

const SHOWN = 3
const FLOAT32_MAX = 3.4028234663852886e38
const LANE_PRIMES = [0x01000193, 0x2c1b3c6d, 0x5bd1e995, 0x27d4eb2f]
const LANE_SEEDS = [0x811c9dc5 | 0, 0x9747b28c | 0, 0x3c6ef372 | 0, 0x1b873593 | 0]

/**
 * A multiply only moves a bit difference upward, so the state is rotated before each word:
 * float32 counts differ in their high bits only, and without the rotation two different rows
 * collide far more often than 64 bits promise.
 */
const rotl5 = (h: number): number => (h << 5) | (h >>> 27)

/** murmur3's finaliser: every input bit moves about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

let scratch = new Int32Array(0)
const f64 = new Float64Array(1)
const f64Words = new Uint32Array(f64.buffer)

/**
 * One 32-bit word per value (as int32, which V8 keeps unboxed), equal for equal values: the stored bits themselves for 32-bit
 * types (a view, no copy), folded bits for 64-bit ones. Valid until the next call.
 */
export function wordsOf(values: ArrayLike<number | bigint>): Int32Array {
  if (values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint32Array) {
    return new Int32Array(values.buffer, values.byteOffset, values.length)
  }
  if (scratch.length < values.length) scratch = new Int32Array(values.length)
  const out = scratch
  if (values instanceof Float64Array) {
    const pairs = new Uint32Array(values.buffer, values.byteOffset, values.length * 2)
    for (let i = 0; i < values.length; i++) out[i] = pairs[2 * i]! ^ Math.imul(pairs[2 * i + 1]!, 0x9e3779b1)
  } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) out[i] = Number(BigInt.asUintN(32, values[i]! ^ (values[i]! >> 32n)))
  } else {
    for (let i = 0; i < values.length; i++) {
      f64[0] = Number(values[i])
      out[i] = f64Words[0]! ^ Math.imul(f64Words[1]!, 0x9e3779b1)
    }
  }
  return out
}

/**
 * A dense matrix streamed row-major: each row's words are hashed in order on two 32-bit lanes
 * with different multipliers (a 64-bit hash), at a few integer operations per value.
 */
export class DenseRowWalker {
  private row = 0
  private col = 0
  private hA = 0x811c9dc5 | 0
  private hB = 0x9747b28c | 0
  private nonzero = 0
  private readonly hashes?: Uint32Array
  private readonly nonempty?: Uint8Array
  private readonly cols?: Uint8Array
  /** addFloat32's four lanes, carried across slices that split a row. */
  private readonly lanes = Int32Array.from(LANE_SEEDS)

  constructor(
    private readonly nRows: number,
    private readonly nCols: number,
    rows: boolean,
    columns: boolean,
  ) {
    if (rows) {
      this.hashes = new Uint32Array(2 * nRows)
      this.nonempty = new Uint8Array(nRows)
    }
    if (columns) this.cols = new Uint8Array(nCols)
  }

  add(stored: ArrayLike<number | bigint>): void {
    if (this.nCols === 0) return
    const values = (typeof stored[0] === 'bigint' ? Float64Array.from(stored as ArrayLike<bigint>, Number) : stored) as ArrayLike<number>
    // float32 (the raw-count dtype) tells zero from its bits alone: no float compare per value.
    const f32 = stored instanceof Float32Array
    const words = this.hashes || f32 ? wordsOf(stored) : undefined
    const cols = this.cols
    const nCols = this.nCols
    let { row, col, hA, hB, nonzero } = this
    for (let i = 0; i < values.length && row < this.nRows; ) {
      const start = i
      const end = Math.min(values.length, i + (nCols - col))
      if (words && !cols && f32) {
        // The hot loop of a 2 GiB raw X: two multiply lanes and an OR per value, no branch.
        for (; i < end; i++) {
          const w = words[i]!
          hA = Math.imul(rotl5(hA) ^ w, 0x01000193)
          hB = Math.imul((hB + w) | 0, 0x2c1b3c6d) ^ (hB >>> 15)
          nonzero |= w << 1
        }
      } else {
        for (let k = start; k < end; k++) {
          const isNonzero = f32 ? words![k]! << 1 !== 0 : values[k] !== 0
          if (words && this.hashes) {
            const w = words[k]!
            hA = Math.imul(rotl5(hA) ^ w, 0x01000193)
            hB = Math.imul((hB + w) | 0, 0x2c1b3c6d) ^ (hB >>> 15)
          }
          if (isNonzero) {
            nonzero = 1
            if (cols) cols[col + k - start] = 1
          }
        }
      }
      col += end - start
      i = end
      if (col === nCols) {
        if (this.hashes) {
          this.hashes[2 * row] = fmix32(hA)
          this.hashes[2 * row + 1] = fmix32(hB)
          this.nonempty![row] = nonzero === 0 ? 0 : 1
        }
        row++
        col = 0
        hA = 0x811c9dc5 | 0
        hB = 0x9747b28c | 0
        nonzero = 0
      }
    }
    Object.assign(this, { row, col, hA, hB, nonzero })
  }

  /**
   * The raw-count case in one pass: float32 values hashed per row and tallied (zeros, NaN,
   * ±inf, fractional, negative) in the same loop, without a branch for the usual value (a
   * non-negative whole number): a 2 GiB X is hashed at little more than the cost of reading it.
   */
  addFloat32(values: Float32Array, counts: ValueCounts): void {
    if (this.nCols === 0 || !this.hashes || this.cols) {
      tallyFloat32(values, counts)
      this.add(values)
      return
    }
    const words = wordsOf(values)
    const nCols = this.nCols
    const lanes = this.lanes
    let { row, col, nonzero } = this
    let zeros = 0
    let odd = 0
    for (let i = 0; i < values.length && row < this.nRows; ) {
      const end = Math.min(values.length, i + (nCols - col))
      const start = i
      // Four lanes, one per column mod 4: independent multiply chains the CPU runs side by
      // side (one chain would wait on each multiply). Whole groups of four in the fast loop.
      let a0 = lanes[0]!
      let a1 = lanes[1]!
      let a2 = lanes[2]!
      let a3 = lanes[3]!
      let c = col
      for (; i < end && (c & 3) !== 0; i++, c++) {
        const w = words[i]!
        lanes[c & 3] = Math.imul(rotl5(lanes[c & 3]!) ^ w, LANE_PRIMES[c & 3]!)
        nonzero |= w << 1
        zeros += w << 1 === 0 ? 1 : 0
        const v = values[i]!
        if (!(v >= 0 && v <= FLOAT32_MAX && Math.floor(v) === v)) odd++
      }
      a0 = lanes[0]!
      a1 = lanes[1]!
      a2 = lanes[2]!
      a3 = lanes[3]!
      for (; i + 3 < end; i += 4, c += 4) {
        const w0 = words[i]!
        const w1 = words[i + 1]!
        const w2 = words[i + 2]!
        const w3 = words[i + 3]!
        a0 = Math.imul(((a0 << 5) | (a0 >>> 27)) ^ w0, 0x01000193)
        a1 = Math.imul(((a1 << 5) | (a1 >>> 27)) ^ w1, 0x2c1b3c6d)
        a2 = Math.imul(((a2 << 5) | (a2 >>> 27)) ^ w2, 0x5bd1e995)
        a3 = Math.imul(((a3 << 5) | (a3 >>> 27)) ^ w3, 0x27d4eb2f)
        nonzero |= (w0 | w1 | w2 | w3) << 1
        zeros += (w0 << 1 === 0 ? 1 : 0) + (w1 << 1 === 0 ? 1 : 0) + (w2 << 1 === 0 ? 1 : 0) + (w3 << 1 === 0 ? 1 : 0)
        const v0 = values[i]!
        const v1 = values[i + 1]!
        const v2 = values[i + 2]!
        const v3 = values[i + 3]!
        if (!(v0 >= 0 && v0 <= FLOAT32_MAX && Math.floor(v0) === v0)) odd++
        if (!(v1 >= 0 && v1 <= FLOAT32_MAX && Math.floor(v1) === v1)) odd++
        if (!(v2 >= 0 && v2 <= FLOAT32_MAX && Math.floor(v2) === v2)) odd++
        if (!(v3 >= 0 && v3 <= FLOAT32_MAX && Math.floor(v3) === v3)) odd++
      }
      lanes[0] = a0
      lanes[1] = a1
      lanes[2] = a2
      lanes[3] = a3
      for (; i < end; i++, c++) {
        const w = words[i]!
        lanes[c & 3] = Math.imul(rotl5(lanes[c & 3]!) ^ w, LANE_PRIMES[c & 3]!)
        nonzero |= w << 1
        zeros += w << 1 === 0 ? 1 : 0
        const v = values[i]!
        if (!(v >= 0 && v <= FLOAT32_MAX && Math.floor(v) === v)) odd++
      }
      col += end - start
      if (col === nCols) {
        // Two 32-bit halves of the row's key, each mixing two lanes.
        this.hashes[2 * row] = fmix32((lanes[0]! + Math.imul(lanes[1]!, 0x9e3779b1)) | 0)
        this.hashes[2 * row + 1] = fmix32((lanes[2]! + Math.imul(lanes[3]!, 0x85ebca6b)) | 0)
        this.nonempty![row] = nonzero === 0 ? 0 : 1
        row++
        col = 0
        lanes.set(LANE_SEEDS)
        nonzero = 0
      }
    }
    Object.assign(this, { row, col, nonzero })
    counts.zeros += zeros
    // The rare values off the fast path (negative, fractional, NaN, ±inf) are classed apart.
    if (odd > 0) tallyOdd(values, counts)
  }

  finish(result: RowTarget): void {
    if (this.hashes) result.rows = rowStats(this.hashes, this.nonempty!)
    if (this.cols) result.nonzeroColumns = this.cols
  }
}

/** The value tallies a scan keeps (a subset of MatrixScanResult). */
export interface ValueCounts {
  zeros: number
  notInteger: number
  notFinite: number
  nan: number
  notPositiveInteger: number
}

function tallyFloat32(values: Float32Array, counts: ValueCounts): void {
  let zeros = 0
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++
  counts.zeros += zeros
  tallyOdd(values, counts)
}

/** Counts the values that are not non-negative whole finite numbers, by kind. */
function tallyOdd(values: Float32Array, counts: ValueCounts): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v >= 0 && v <= 3.4028234663852886e38 && Math.floor(v) === v) continue
    if (v - v !== 0) {
      counts.notFinite++
      if (Number.isNaN(v)) counts.nan++
    } else if (Math.floor(v) !== v) counts.notInteger++
    counts.notPositiveInteger++
  }
}

/**
 * A sparse matrix's non-zero entries in any order (CSC visits a row once per column): each
 * row's hash is the sum of its mixed (column, value) words, so order does not matter.
 */
export class SparseRowTally {
  private readonly hashes?: Uint32Array
  private readonly nonempty?: Uint8Array
  private readonly cols?: Uint8Array

  constructor(nRows: number, nCols: number, rows: boolean, columns: boolean) {
    if (rows) {
      this.hashes = new Uint32Array(2 * nRows)
      this.nonempty = new Uint8Array(nRows)
    }
    if (columns) this.cols = new Uint8Array(nCols)
  }

  add(row: number, col: number, word: number): void {
    const hashes = this.hashes
    if (hashes) {
      hashes[2 * row] = hashes[2 * row]! + fmix32(Math.imul(col + 1, 0x9e3779b1) ^ word)
      hashes[2 * row + 1] = hashes[2 * row + 1]! + fmix32((Math.imul(word ^ 0x5bd1e995, 0xcc9e2d51) + Math.imul(col, 0x1b873593)) | 0)
      this.nonempty![row] = 1
    }
    if (this.cols) this.cols[col] = 1
  }

  finish(result: RowTarget): void {
    if (this.hashes) result.rows = rowStats(this.hashes, this.nonempty!)
    if (this.cols) result.nonzeroColumns = this.cols
  }
}

/** Counts empty rows, then sorts the non-empty rows' 64-bit hashes to count repeats. */
export function rowStats(hashes: Uint32Array, nonempty: Uint8Array): RowStats {
  const stats: RowStats = { empty: 0, emptyExamples: [], duplicates: 0, duplicateExamples: [] }
  for (let r = 0; r < nonempty.length; r++) {
    if (!nonempty[r] && ++stats.empty <= SHOWN) stats.emptyExamples.push(r)
  }
  const key = (r: number) => (BigInt(hashes[2 * r]!) << 32n) | BigInt(hashes[2 * r + 1]!)
  const keys = sortedKeys(hashes, nonempty)
  const words = new Uint32Array(keys.buffer)
  const repeated = new Set<bigint>()
  for (let i = 1; i < keys.length; i++) {
    if (words[2 * i] !== words[2 * i - 2] || words[2 * i + 1] !== words[2 * i - 1]) continue
    stats.duplicates++
    if (repeated.size < SHOWN) repeated.add(keys[i]!)
  }
  if (repeated.size > 0) {
    // A second look over the rows names the first repeats found, as row numbers.
    const first = new Map<bigint, number>()
    for (let r = 0; r < nonempty.length && stats.duplicateExamples.length < SHOWN; r++) {
      if (!nonempty[r]) continue
      const k = key(r)
      if (!repeated.has(k)) continue
      const seen = first.get(k)
      if (seen === undefined) first.set(k, r)
      else stats.duplicateExamples.push([seen, r])
    }
  }
  return stats
}

/**
 * The 64-bit keys (lane a high, lane b low) of the selected rows, sorted. Written through a
 * 32-bit view of the BigUint64Array, so 300 000 rows create no BigInt (each one is garbage
 * that grows the young heap, and the process's peak memory with it).
 */
export function sortedKeys(pairs: Uint32Array, select?: Uint8Array): BigUint64Array {
  const n = pairs.length / 2
  let count = n
  if (select) {
    count = 0
    for (let r = 0; r < n; r++) if (select[r]) count++
  }
  const keys = new BigUint64Array(count)
  const words = new Uint32Array(keys.buffer)
  // Little-endian: the low word first. Node runs little-endian on every platform it supports.
  for (let r = 0, j = 0; r < n; r++) {
    if (select && !select[r]) continue
    words[2 * j] = pairs[2 * r + 1]!
    words[2 * j + 1] = pairs[2 * r]!
    j++
  }
  return keys.sort()
}
