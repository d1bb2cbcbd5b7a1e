import type { ArrayDef } from './schema-types.js'
import type { StructureArray } from './structure.js'

export interface MatrixScanResult {
  visited: number
  zeros: number
  notInteger: number
  notFinite: number
  outOfRange: number
}

/**
 * One pass over a matrix's stored values counting what the value rules forbid. A tight loop
 * over each slice: this runs over gigabytes, so nothing is allocated per value.
 */
export async function scanMatrix(array: StructureArray, rule: ArrayDef, signal?: AbortSignal): Promise<MatrixScanResult | undefined> {
  if (!array.scan) return undefined
  const min = rule.values?.min ?? Number.NEGATIVE_INFINITY
  const max = rule.values?.max ?? Number.POSITIVE_INFINITY
  const result: MatrixScanResult = { visited: 0, zeros: 0, notInteger: 0, notFinite: 0, outOfRange: 0 }
  result.visited = await array.scan((values) => {
    if (values.length === 0) return
    // 64-bit integers arrive as BigInt arrays: whole and finite by construction.
    if (typeof values[0] === 'bigint') return tallyBigInts(values as ArrayLike<bigint>, min, max, result)
    tallyNumbers(values as ArrayLike<number>, min, max, result)
  }, signal)
  return result
}

function tallyNumbers(values: ArrayLike<number>, min: number, max: number, result: MatrixScanResult): void {
  let zeros = 0
  let notInteger = 0
  let notFinite = 0
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
      if (bounded && !(v >= min && v <= max)) outOfRange++
      continue
    }
    if (Math.floor(v) !== v) notInteger++
    if (bounded && (v < min || v > max)) outOfRange++
  }
  if (bounded && (min > 0 || max < 0)) outOfRange += zeros
  result.zeros += zeros
  result.notInteger += notInteger
  result.notFinite += notFinite
  result.outOfRange += outOfRange
}

function tallyBigInts(values: ArrayLike<bigint>, min: number, max: number, result: MatrixScanResult): void {
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i])
    if (v === 0) result.zeros++
    if (v < min || v > max) result.outOfRange++
  }
}
