import { describe, expect, it } from 'vitest'
import { MatrixScans, type StructureArray, type StructureVector, scanMatrix } from '../src/index.js'

// In-memory matrices: what a file format adapter hands the values pass, parts included.
const vector = (path: string, values: ArrayLike<number>, Type: Float32ArrayConstructor | Int32ArrayConstructor = Int32Array): StructureVector => {
  const stored = Type.from(values as number[])
  return { path, dtype: Type === Float32Array ? 'float32' : 'int32', length: stored.length, read: async (a, b) => stored.slice(a, b) }
}

let reads = 0
function sparse(encoding: 'csr' | 'csc', dense: number[][]): StructureArray {
  const [rows, cols] = [dense.length, dense[0]!.length]
  const [major, minor] = encoding === 'csr' ? [rows, cols] : [cols, rows]
  const indptr = [0]
  const indices: number[] = []
  const data: number[] = []
  for (let m = 0; m < major; m++) {
    for (let n = 0; n < minor; n++) {
      const v = encoding === 'csr' ? dense[m]![n]! : dense[n]![m]!
      if (v !== 0) {
        indices.push(n)
        data.push(v)
      }
    }
    indptr.push(indices.length)
  }
  const values = Float32Array.from(data)
  return {
    kind: 'array', path: 'X', attributes: {}, dtype: 'float32', shape: [rows, cols], encoding,
    scan: async (visit) => {
      reads++
      visit(values)
      return values.length
    },
    compressed: { indptr: vector('X/indptr', indptr), indices: vector('X/indices', indices), data: vector('X/data', data, Float32Array) },
  }
}

function dense(rows: number[][]): StructureArray {
  const values = Float32Array.from(rows.flat())
  return {
    kind: 'array', path: 'X', attributes: {}, dtype: 'float32', shape: [rows.length, rows[0]!.length], encoding: 'dense',
    scan: async (visit) => {
      reads++
      // Two slices that split a row, as a chunked store may.
      visit(values.subarray(0, 5))
      visit(values.subarray(5))
      return values.length
    },
  }
}

const MATRIX = [
  [1, 0, 2, 0],
  [0, 0, 0, 0],
  [1, 0, 2, 0],
  [0, 3, 0, 0],
  [1, 0, 2, 0],
  [0, 0, 0, 0],
]

describe('the values pass over a matrix', () => {
  it('finds empty and repeated rows, and non-zero columns, alike in dense, CSR and CSC storage', async () => {
    for (const array of [dense(MATRIX), sparse('csr', MATRIX), sparse('csc', MATRIX)]) {
      const scan = await scanMatrix(array, { type: 'ndarray' }, undefined, { needs: { rows: true, columns: true } })
      expect(scan!.rows, array.encoding).toEqual({ empty: 2, emptyExamples: [1, 5], duplicates: 2, duplicateExamples: [[0, 2], [0, 4]] })
      expect(Array.from(scan!.nonzeroColumns!), array.encoding).toEqual([1, 1, 1, 0])
    }
  })

  it('tells rows apart that differ by one value or by its position', async () => {
    const rows = [[1, 2, 0], [2, 1, 0], [1, 2, 0.5], [0, 1, 2]]
    for (const array of [dense(rows), sparse('csr', rows), sparse('csc', rows)]) {
      const scan = await scanMatrix(array, { type: 'ndarray' }, undefined, { needs: { rows: true } })
      expect(scan!.rows!.duplicates, array.encoding).toBe(0)
    }
  })

  it('finds no repeats among distinct rows of small counts (float32 words differ in their high bits only)', async () => {
    let seed = 12345
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return (seed >>> 16) & 3
    }
    const rows = Array.from({ length: 3000 }, () => Array.from({ length: 64 }, next))
    rows[2999] = [...rows[17]!]
    for (const array of [dense(rows), sparse('csr', rows), sparse('csc', rows)]) {
      const scan = await scanMatrix(array, { type: 'ndarray' }, undefined, { needs: { rows: true } })
      expect(scan!.rows, array.encoding).toMatchObject({ duplicates: 1, duplicateExamples: [[17, 2999]] })
    }
  })

  it('counts indices outside the minor dimension, for CSR and CSC, and skips them in the row facts', async () => {
    for (const encoding of ['csr', 'csc'] as const) {
      const array = sparse(encoding, MATRIX)
      const indices = array.compressed!.indices
      const bad = Int32Array.from((await indices.read(0, indices.length)) as Int32Array)
      bad[0] = encoding === 'csr' ? 4 : 6
      bad[1] = -1
      const broken = { ...array, compressed: { ...array.compressed!, indices: vector('X/indices', bad) } }
      const scan = await scanMatrix(broken, { type: 'ndarray' }, undefined, { needs: { rows: true } })
      expect(scan!.sparse!.outOfRange, encoding).toBe(2)
      expect(scan!.sparse!.examples[0]).toBe(`${bad[0]} at entry 0`)
    }
  })

  it('leaves rows unknown when indptr cannot be walked, still checking indices', async () => {
    const array = sparse('csr', MATRIX)
    const broken = { ...array, compressed: { ...array.compressed!, indptr: vector('X/indptr', [0, 2, 1, 4, 5, 7, 7]) } }
    const scan = await scanMatrix(broken, { type: 'ndarray' }, undefined, { needs: { rows: true } })
    expect(scan!.sparse!.indptr).toBe('decreases at entry 2')
    expect(scan!.rows).toBeUndefined()
    expect(scan!.sparse!.outOfRange).toBe(0)
  })

  it('tallies values CELLxGENE forbids in raw counts: negative, fractional, NaN, ±inf', async () => {
    const row = [1, -2, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 0, 3, -0]
    const expected = { visited: 16, zeros: 4, notInteger: 2, notFinite: 4, nan: 2, notPositiveInteger: 8 }
    // The same tallies whether rows are hashed in the same loop (float32 raw counts) or not.
    expect(await scanMatrix(dense([row, row]), { type: 'ndarray' })).toMatchObject(expected)
    expect(await scanMatrix(dense([row, row]), { type: 'ndarray' }, undefined, { needs: { rows: true } })).toMatchObject(expected)
    expect(await scanMatrix(sparse('csr', [row, row]), { type: 'ndarray' })).toMatchObject({ ...expected, zeros: 0, visited: 12 })
  })

  it('reads a matrix once for every check that shares the scans, rescanning only for facts not gathered', async () => {
    const scans = new MatrixScans()
    const array = dense(MATRIX)
    reads = 0
    scans.plan('X', { rows: true })
    await scans.scan(array)
    const again = await scans.scan(array, undefined, { rows: true })
    expect(reads).toBe(1)
    expect(again!.rows!.empty).toBe(2)
    await scans.scan(array, undefined, { columns: true })
    expect(reads).toBe(2)
  })
})
