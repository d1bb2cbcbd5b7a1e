import type { MatrixScans, SchemaIssue, StructureArray, StructureGroup, StructureNode } from '@assets/core'
import type { OrganismInfo } from '../core-specs.js'

/** What every CELLxGENE cross-element rule gets: the file, the shared scans and a reporter. */
export interface CellxgeneContext {
  root: StructureGroup
  /** Value checks on: matrices are read (once each, through `scans`). */
  values: boolean
  scans: MatrixScans
  organism?: OrganismInfo
  signal?: AbortSignal
  report(severity: SchemaIssue['severity'], code: string, path: string, message: string): void
}

const SHOWN = 3

/** A failing cell: its row and value, named with the obs index only when reported. */
export interface CellExample {
  row: number
  value: unknown
}

/** Counts failures per code and path and reports each once, with a few examples. */
export class Tally {
  private readonly entries = new Map<
    string,
    { severity: SchemaIssue['severity']; code: string; path: string; what: string; count: number; examples: Array<string | CellExample> }
  >()

  add(severity: SchemaIssue['severity'], code: string, path: string, what: string, example: string | CellExample): void {
    const key = `${code} ${path}`
    const entry = this.entries.get(key) ?? { severity, code, path, what, count: 0, examples: [] }
    entry.count++
    if (entry.examples.length < SHOWN) entry.examples.push(example)
    this.entries.set(key, entry)
  }

  /** Reports every entry; `names` (the obs index) is read only if a cell example needs it. */
  async flush(ctx: CellxgeneContext, names?: () => Promise<ArrayLike<unknown> | undefined>): Promise<void> {
    if (this.entries.size === 0) return
    const index = names ? await names() : undefined
    const show = (e: string | CellExample) => (typeof e === 'string' ? e : `cell ${named(index, e.row)}: ${JSON.stringify(e.value)}`)
    for (const e of this.entries.values()) ctx.report(e.severity, e.code, e.path, `${e.count} ${e.what} (e.g. ${e.examples.map(show).join('; ')})`)
  }
}

export async function childAt(root: StructureGroup, path: string): Promise<StructureNode | undefined> {
  let node: StructureNode | undefined = root
  for (const name of path.split('/')) {
    if (node?.kind !== 'group') return undefined
    node = await node.child(name)
  }
  return node
}

/** A scalar's value (uns/title, uns/spatial/is_single), undefined when absent or not a scalar. */
export async function scalarAt(root: StructureGroup, path: string): Promise<unknown> {
  const node = await childAt(root, path)
  return node?.kind === 'scalar' ? node.value() : undefined
}

/** A dataframe column's decoded values, undefined when the column is absent. */
export async function columnValues(root: StructureGroup, frame: string, name: string): Promise<ArrayLike<unknown> | undefined> {
  const node = await root.child(frame)
  if (node?.kind !== 'dataframe' || !node.columnNames.includes(name)) return undefined
  return (await node.column(name))?.values()
}

export async function indexValues(root: StructureGroup, frame: string): Promise<ArrayLike<unknown> | undefined> {
  const node = await root.child(frame)
  return node?.kind === 'dataframe' ? (await node.index())?.values() : undefined
}

/** A small array's values (uns colors, batch_condition): read whole through its scan. */
export async function smallArrayValues(array: StructureArray, signal?: AbortSignal): Promise<unknown[]> {
  const out: unknown[] = []
  await array.scan?.((values) => {
    for (let i = 0; i < values.length; i++) out.push(values[i])
  }, signal)
  return out
}

/** "cell 3 (AAACCT…)": a row number and, when known, its obs name. */
export const named = (names: ArrayLike<unknown> | undefined, i: number): string => (names && names[i] !== undefined ? `${i} (${String(names[i])})` : String(i))
