import type { SchemaIssue, StructureColumn, StructureDataFrame } from '@assets/core'
import { CsvSyntaxError, readRecords } from './csv-parser.js'

const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|Inf|INF|infinity|Infinity)$|^(nan|NaN|NAN)$/
const BOOLEAN = /^(true|false|TRUE|FALSE|True|False)$/

interface ColumnStats {
  integer: boolean
  number: boolean
  boolean: boolean
  missing: number
}

export interface TableScan {
  frame: StructureDataFrame
  issues: SchemaIssue[]
}

/**
 * One streaming pass over a CSV/TSV file: header, row count, each column's type (the
 * narrowest of int64, float64, bool, string that fits every non-empty cell) and malformed
 * rows. Column values are read again, one column at a time, only when a rule needs them.
 */
export async function scanTable(path: string, delimiter: string, signal?: AbortSignal): Promise<TableScan> {
  const issues: SchemaIssue[] = []
  let header: string[] | undefined
  let stats: ColumnStats[] = []
  let rows = 0
  let badRows = 0
  try {
    for await (const record of readRecords(path, delimiter, signal)) {
      if (!header) {
        header = record.map((h) => h.trim())
        stats = header.map(() => ({ integer: true, number: true, boolean: true, missing: 0 }))
        const seen = new Set<string>()
        for (const name of header) {
          if (seen.has(name)) issues.push({ severity: 'error', code: 'DUPLICATE_COLUMN', path: name, message: `column ${name} appears more than once in the header` })
          seen.add(name)
        }
        continue
      }
      if (record.length === 1 && record[0] === '') continue
      rows++
      if (record.length !== header.length) {
        if (++badRows <= 3) issues.push({ severity: 'error', code: 'WRONG_FIELD_COUNT', path: `row ${rows}`, message: `row ${rows} has ${record.length} fields, the header has ${header.length}` })
        continue
      }
      for (let i = 0; i < record.length; i++) {
        const cell = record[i]!
        const s = stats[i]!
        if (cell === '') {
          s.missing++
          continue
        }
        if (s.integer && !INTEGER.test(cell)) s.integer = false
        if (s.number && !NUMBER.test(cell)) s.number = false
        if (s.boolean && !BOOLEAN.test(cell)) s.boolean = false
      }
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error
    issues.push({ severity: 'error', code: 'MALFORMED_CSV', path: '', message: error.message })
  }
  if (badRows > 3) issues.push({ severity: 'error', code: 'WRONG_FIELD_COUNT', path: '', message: `${badRows} rows in all have the wrong number of fields` })
  const names = header ?? []
  if (!header) issues.push({ severity: 'error', code: 'MISSING_HEADER', path: '', message: 'the file is empty: no header row' })
  const columns = new Map<string, StructureColumn>()
  names.forEach((name, i) => {
    const s = stats[i]!
    const dtype = rows === s.missing ? 'string' : s.integer ? 'int64' : s.number ? 'float64' : s.boolean ? 'bool' : 'string'
    columns.set(name, {
      path: name,
      dtype,
      categorical: false,
      nullable: s.missing > 0,
      length: rows,
      values: () => readColumn(path, delimiter, i, dtype, names.length),
    })
  })
  const frame: StructureDataFrame = {
    kind: 'dataframe',
    path: '',
    attributes: {},
    length: rows,
    columnNames: names,
    column: async (name) => columns.get(name),
    index: async () => undefined,
  }
  return { frame, issues }
}

async function readColumn(path: string, delimiter: string, index: number, dtype: string, width: number): Promise<unknown[]> {
  const values: unknown[] = []
  let first = true
  for await (const record of readRecords(path, delimiter)) {
    if (first) {
      first = false
      continue
    }
    if (record.length !== width) continue
    const cell = record[index]!
    values.push(cell === '' ? null : dtype === 'int64' || dtype === 'float64' ? Number(cell) : dtype === 'bool' ? /^true$/i.test(cell) : cell)
  }
  return values
}
