import type { ValidationIssue } from '../errors/index.js'
import { dtypeMatches } from './dtype-match.js'
import { type MatrixScans, scanMatrix, sparseIndexIssues } from './matrix-scan.js'
import type {
  ArrayDef, AttributeRule, ColumnDef, DataFrameDef, DeclarativeSchema, DimensionRule, ElementDef, ObjectDef, ScalarDef, ValidatorDef, ValidatorType,
} from './schema-types.js'
import type { StructureArray, StructureColumn, StructureDataFrame, StructureGroup, StructureNode, StructureScalar } from './structure.js'
import { UniqueByHash, ValueRuleTally } from './value-rules.js'

export interface SchemaIssue extends ValidationIssue {
  severity: 'error' | 'warning'
  /** The validator that reported it, when it came from a schema document. */
  validator?: string
}

export interface SchemaCheckOptions {
  /** What the asset is: a validator applies when its type is listed (CSV and Table are one). */
  types: ValidatorType[]
  /** Sizes known up front (`n_obs`, `n_vars`); other named sizes bind on first use. */
  dims?: Record<string, number>
  /** Read whole matrices (in slices) for value rules; off: structure only. */
  values?: boolean
  /** Scans shared with the caller's other checks; its owner then reports sparse index errors. */
  scans?: MatrixScans
  signal?: AbortSignal
}

const join = (path: string, name: string): string => (path ? `${path}/${name}` : name)
const sameType = (a: ValidatorType, b: ValidatorType): boolean => a === b || ((a === 'CSV' || a === 'Table') && (b === 'CSV' || b === 'Table'))

/** Checks a structure against every applicable validator and returns every failure found. */
export async function checkDeclarativeSchema(schema: DeclarativeSchema, root: StructureNode, options: SchemaCheckOptions): Promise<SchemaIssue[]> {
  const issues: SchemaIssue[] = []
  const applicable = schema.validators.filter((v) => options.types.some((t) => sameType(t, v.type)))
  if (applicable.length === 0) {
    const has = [...new Set(schema.validators.map((v) => v.type))].join(', ')
    issues.push({ severity: 'error', code: 'NO_MATCHING_VALIDATOR', path: '', message: `the schema validates ${has}, not ${options.types.join(' or ')}` })
  }
  for (const v of applicable) {
    const walker = new SchemaWalker(v, options, issues)
    await walker.run(root)
  }
  return issues
}

class SchemaWalker {
  private readonly dims = new Map<string, number>()

  constructor(
    private readonly validator: ValidatorDef,
    private readonly options: SchemaCheckOptions,
    private readonly issues: SchemaIssue[],
  ) {
    for (const [k, n] of Object.entries(options.dims ?? {})) this.dims.set(k, n)
  }

  async run(root: StructureNode): Promise<void> {
    const v = this.validator
    if (v.type === 'Table' || v.type === 'CSV') {
      const def: DataFrameDef = { type: 'dataframe', required: v.required, columns: v.properties as Record<string, ColumnDef>, forbidden: v.forbidden, forbidden_prefixes: v.forbidden_prefixes, attributes: v.attributes }
      return this.element(root, def, '')
    }
    const def: ObjectDef = { ...v, type: 'object', properties: v.properties as Record<string, ElementDef> }
    await this.element(root, def, '')
  }

  private report(code: string, path: string, message: string): void {
    const severity = this.validator.severity ?? 'error'
    this.issues.push({ severity, code, path, message, validator: this.validator.id })
  }

  private async element(node: StructureNode, def: ElementDef, path: string): Promise<void> {
    this.options.signal?.throwIfAborted()
    this.attributes(node.attributes, def.attributes, path)
    switch (def.type) {
      case 'ndarray':
      case 'sparse':
        if (node.kind !== 'array') return this.report('WRONG_TYPE', path, `expected an array, found a ${node.kind}`)
        return this.array(node, def, path)
      case 'dataframe':
        if (node.kind !== 'dataframe') return this.report('WRONG_TYPE', path, `expected a dataframe, found a ${node.kind}`)
        return this.dataframe(node, def, path)
      case 'object':
        if (node.kind !== 'group') return this.report('WRONG_TYPE', path, `expected a group of keys, found a ${node.kind}`)
        return this.group(node, def, path)
      default:
        if (node.kind !== 'scalar') return this.report('WRONG_TYPE', path, `expected a single value, found a ${node.kind}`)
        return this.scalar(node, def, path)
    }
  }

  private attributes(actual: Readonly<Record<string, unknown>>, rules: Record<string, AttributeRule> | undefined, path: string): void {
    for (const [name, rule] of Object.entries(rules ?? {})) {
      const at = `${path}@${name}`
      if (!(name in actual)) {
        if (rule.required !== false) this.report('MISSING_ATTRIBUTE', at, `attribute ${name} is missing`)
        continue
      }
      const value = actual[name]
      this.values(Array.isArray(value) ? value : [value], rule, at, true)
    }
  }

  private async group(node: StructureGroup, def: ObjectDef, path: string): Promise<void> {
    const keys = await node.keys()
    this.names(keys, def, path, 'MISSING_KEY', 'key')
    for (const [name, child] of Object.entries(def.properties ?? {})) {
      const found = keys.includes(name) ? await node.child(name) : undefined
      if (found) await this.element(found, child, join(path, name))
    }
    const patterns = Object.entries(def.pattern_properties ?? {}).map(([re, d]) => [new RegExp(re, 'u'), d, re] as const)
    let matches = 0
    for (const key of keys) {
      const hit = patterns.find(([re]) => re.test(key))
      if (!hit) continue
      matches++
      const found = await node.child(key)
      if (found) await this.element(found, hit[1], join(path, key))
    }
    if (def.min_pattern_matches !== undefined && matches < def.min_pattern_matches) {
      const res = patterns.map(([, , re]) => re).join(' or ')
      this.report('MISSING_KEY', path, `needs at least ${def.min_pattern_matches} key(s) matching ${res}, found ${matches}`)
    }
  }

  /** Required, forbidden and prefix rules over the names of keys or columns. */
  private names(names: string[], def: { required?: string[]; forbidden?: string[]; forbidden_prefixes?: string[] }, path: string, missing: string, what: string): void {
    for (const name of def.required ?? []) if (!names.includes(name)) this.report(missing, join(path, name), `required ${what} ${name} is missing`)
    for (const name of def.forbidden ?? []) if (names.includes(name)) this.report(`FORBIDDEN_${what.toUpperCase()}`, join(path, name), `${what} ${name} is not allowed here`)
    for (const prefix of def.forbidden_prefixes ?? []) {
      for (const name of names) if (name.startsWith(prefix)) this.report('FORBIDDEN_NAME', join(path, name), `${what} names may not start with ${prefix}`)
    }
  }

  private async dataframe(node: StructureDataFrame, def: DataFrameDef, path: string): Promise<void> {
    this.names(node.columnNames, def, path, 'MISSING_COLUMN', 'column')
    if (def.length !== undefined) this.dimension(def.length, node.length, path, 'WRONG_SHAPE', 'number of rows')
    if (def.index) {
      const index = await node.index()
      if (index) await this.column(index, def.index)
      else this.report('MISSING_COLUMN', join(path, 'index'), 'the dataframe has no index')
    }
    for (const [name, rule] of Object.entries(def.columns ?? {})) {
      const column = node.columnNames.includes(name) ? await node.column(name) : undefined
      if (column) await this.column(column, rule)
    }
  }

  private async column(column: StructureColumn, rule: ColumnDef): Promise<void> {
    const path = column.path
    const dtypes = rule.dtype === undefined ? undefined : Array.isArray(rule.dtype) ? rule.dtype : [rule.dtype]
    // Value rules over cells of the wrong type would only repeat the dtype failure.
    const wrongDtype = dtypes !== undefined && !dtypeMatches(column.dtype, dtypes)
    if (wrongDtype) this.report('WRONG_DTYPE', path, `dtype is ${column.dtype}, expected ${dtypes.join(' or ')}`)
    if (rule.categorical === true && !column.categorical) this.report('WRONG_ENCODING', path, 'expected a categorical column')
    if (rule.categorical === false && column.categorical) this.report('WRONG_ENCODING', path, 'expected a plain (not categorical) column')
    const nullable = rule.nullable !== false
    if (wrongDtype || !ValueRuleTally.needsValues(rule, nullable)) return
    // The set of categories is enough for enum and pattern rules (a 300 000-cell column has a
    // handful); uniqueness needs the cells themselves, missing values only a look for nulls.
    if (column.categorical && column.categories && !rule.unique) {
      this.values(await column.categories(), rule, path, true)
      if (!nullable) {
        let missing = column.missing ? await column.missing() : 0
        if (!column.missing) {
          const cells = await column.values()
          for (let i = 0; i < cells.length; i++) if (cells[i] === null || cells[i] === undefined) missing++
        }
        if (missing > 0) this.report('MISSING_VALUE', path, `${missing} value${missing === 1 ? '' : 's'} not no missing values (e.g. missing)`)
      }
      return
    }
    if (rule.unique && column.scan) {
      // An index: streamed, each cell checked and hashed, never the whole column held.
      const { unique, ...others } = rule
      const tally = new ValueRuleTally(others, nullable)
      const repeats = new UniqueByHash(column.length)
      await column.scan((values) => {
        tally.addAll(values)
        repeats.addAll(values)
      }, this.options.signal)
      for (const f of tally.failures()) this.report(f.code, path, f.message)
      const duplicates = await repeats.duplicates(column, this.options.signal)
      if (duplicates) this.report('DUPLICATE_VALUE', path, duplicates)
      return
    }
    this.values(await column.values(), rule, path, nullable)
  }

  private values(values: ArrayLike<unknown>, rule: ColumnDef | AttributeRule, path: string, nullable: boolean): void {
    const tally = new ValueRuleTally(rule, nullable)
    tally.addAll(values)
    for (const f of tally.failures()) this.report(f.code, path, f.message)
  }

  private async scalar(node: StructureScalar, def: ScalarDef, path: string): Promise<void> {
    const expected = def.dtype ?? (def.type === 'scalar' ? undefined : def.type === 'boolean' ? 'bool' : def.type === 'number' ? 'numeric' : 'string')
    const dtypes = expected === undefined ? undefined : Array.isArray(expected) ? expected : [expected]
    if (dtypes && !dtypeMatches(node.dtype, dtypes)) this.report('WRONG_DTYPE', path, `dtype is ${node.dtype}, expected ${dtypes.join(' or ')}`)
    if (ValueRuleTally.needsValues(def)) this.values([await node.value()], def, path, true)
  }

  private async array(node: StructureArray, def: ArrayDef, path: string): Promise<void> {
    const encodings = def.encodings ?? (def.type === 'sparse' ? ['csr', 'csc'] : ['dense'])
    if (!encodings.includes(node.encoding)) this.report('WRONG_ENCODING', path, `stored as ${node.encoding}, expected ${encodings.join(' or ')}`)
    if (def.allowed_dtypes && !dtypeMatches(node.dtype, def.allowed_dtypes)) {
      this.report('WRONG_DTYPE', path, `dtype is ${node.dtype}, expected ${def.allowed_dtypes.join(' or ')}`)
    }
    if (def.ndim !== undefined && node.shape.length !== def.ndim) {
      this.report('WRONG_NDIM', path, `has ${node.shape.length} dimension(s), expected ${def.ndim}`)
    } else if (def.shape) {
      if (def.shape.length !== node.shape.length) this.report('WRONG_NDIM', path, `has ${node.shape.length} dimension(s), expected ${def.shape.length}`)
      else {
        for (const [i, d] of def.shape.entries()) this.dimension(d, node.shape[i]!, path, 'WRONG_SHAPE', `dimension ${i}`)
      }
    }
    if (def.chunks && node.chunks) {
      for (const [i, c] of def.chunks.entries()) {
        if (c !== null && node.chunks[i] !== c) this.report('WRONG_CHUNKS', path, `chunk size of dimension ${i} is ${node.chunks[i]}, expected ${c}`)
      }
    }
    if (this.options.values && (def.values || def.sparse_above_zero_fraction !== undefined)) await this.matrixValues(node, def, path)
  }

  private async matrixValues(node: StructureArray, def: ArrayDef, path: string): Promise<void> {
    const scan = await scanMatrix(node, def, this.options.signal, { cache: this.options.scans })
    if (!scan) return
    // A shared scan's owner reports its index errors; a scan with bounds of its own is not shared.
    const ownScan = !this.options.scans || def.values?.min !== undefined || def.values?.max !== undefined
    if (ownScan) for (const i of sparseIndexIssues(path, scan)) this.report(i.code, i.path, i.message)
    const count = (n: number, what: string) => `${n} of ${scan.visited} stored values ${what}`
    if (def.values?.finite && scan.notFinite > 0) this.report('NOT_FINITE', path, count(scan.notFinite, 'are NaN or infinite'))
    if (def.values?.integer && scan.notInteger > 0) this.report('NOT_INTEGER', path, count(scan.notInteger, 'are not whole numbers'))
    if (scan.outOfRange > 0) this.report('OUT_OF_RANGE', path, count(scan.outOfRange, `are outside [${def.values?.min ?? '-∞'}, ${def.values?.max ?? '∞'}]`))
    const total = node.shape.reduce((a, b) => a * b, 1)
    const zeros = total - scan.visited + scan.zeros
    if (def.sparse_above_zero_fraction !== undefined && node.encoding === 'dense' && total > 0 && zeros / total >= def.sparse_above_zero_fraction) {
      this.report('SHOULD_BE_SPARSE', path, `${((100 * zeros) / total).toFixed(1)} % of values are zero: store it as csr_matrix`)
    }
  }

  private dimension(rule: DimensionRule, actual: number, path: string, code: string, what: string): void {
    if (rule === null || rule === '*') return
    if (typeof rule === 'number') {
      if (actual !== rule) this.report(code, path, `${what} is ${actual}, expected ${rule}`)
    } else if (typeof rule === 'string') {
      const bound = this.dims.get(rule)
      if (bound === undefined) this.dims.set(rule, actual)
      else if (bound !== actual) this.report(code, path, `${what} is ${actual}, expected ${rule} = ${bound}`)
    } else if ((rule.min !== undefined && actual < rule.min) || (rule.max !== undefined && actual > rule.max)) {
      this.report(code, path, `${what} is ${actual}, expected within [${rule.min ?? 0}, ${rule.max ?? '∞'}]`)
    }
  }
}
