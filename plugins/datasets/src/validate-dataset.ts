import {
  checkDeclarativeSchema, type DeclarativeSchema, InvalidInputError, MatrixScans, parseDeclarativeSchema, type SchemaIssue, type StructureGroup,
  type StructureNode, ValidationError, type ValidatorType,
} from '@assets/core'
import { type OrganismInfo, resolveOrganism } from './core-specs.js'
import { type DatasetFormat, detectFormat } from './detect-format.js'
import { inspectH5ad } from './h5ad/inspect-h5ad.js'
import { checkGeneIds } from './h5ad/gene-ids.js'
import { checkCellxgeneRules, planCellxgeneScans } from './schemas/cellxgene-rules.js'
import { BUILTIN_SCHEMAS, type BuiltinSchemaName } from './schemas/cellxgene-7.js'
import { scanTable } from './table/table-structure.js'
import { inspectZarr } from './zarr/inspect-zarr.js'

export interface ValidateDatasetOptions {
  /** Detected when absent: h5ad file, zarr folder, .csv / .tsv file. */
  format?: DatasetFormat
  /** Name (homo_sapiens), enum (HUMAN) or NCBITaxon:<id>: gene ids are checked against its prefix. */
  organism?: string
  /** A built-in schema name (`cellxgene-7.0`), a declarative schema document, or its YAML/JSON text. */
  schema?: unknown
  /** Also read every matrix value (in slices): integers, no NaN/±inf, share of zeros. */
  valueChecks?: boolean
  signal?: AbortSignal
}

/** What the structure showed: the fields a dataset's metadata records for queries. */
export interface DatasetSummary {
  format: DatasetFormat
  n_obs?: number
  n_vars?: number
  x_encoding?: 'dense' | 'csr' | 'csc'
  x_dtype?: string
  layers?: string[]
  obsm?: string[]
  n_rows?: number
  columns?: Record<string, string>
  arrays?: Record<string, { dtype: string; shape: number[]; chunks?: number[] }>
  /** Share of zeros in X; known only after value checks. */
  x_zero_fraction?: number
}

export interface DatasetReport {
  path: string
  format: DatasetFormat
  valid: boolean
  /** Every failure; any makes the dataset invalid. */
  errors: SchemaIssue[]
  /** Reported, but the dataset stays valid (old encodings, X not raw counts …). */
  warnings: SchemaIssue[]
  summary: DatasetSummary
  organism?: OrganismInfo
  schemaIds: string[]
}

/** A declarative schema from a built-in name, a document object or YAML/JSON text. */
export function resolveSchema(schema: unknown): { schema: DeclarativeSchema; builtin?: BuiltinSchemaName } {
  if (typeof schema === 'string' && schema in BUILTIN_SCHEMAS) {
    return { schema: parseDeclarativeSchema(BUILTIN_SCHEMAS[schema as BuiltinSchemaName]), builtin: schema as BuiltinSchemaName }
  }
  if (typeof schema === 'string' && !/[\n:{]/.test(schema)) {
    throw new InvalidInputError(`unknown built-in schema ${JSON.stringify(schema)} (known: ${Object.keys(BUILTIN_SCHEMAS).join(', ')}); pass a schema document to use your own`)
  }
  return { schema: parseDeclarativeSchema(schema) }
}

/**
 * Validates a dataset without registering it and reports every issue. Bad options (unknown
 * organism, invalid schema document, unknown format) throw an InvalidInputError; a bad
 * dataset does not throw: its report says why it is invalid.
 */
export async function validateDataset(path: string, options: ValidateDatasetOptions = {}): Promise<DatasetReport> {
  const organism = options.organism === undefined ? undefined : resolveOrganism(options.organism)
  const resolved = options.schema === undefined ? undefined : resolveSchema(options.schema)
  const format = options.format ?? (await detectFormat(path))
  const issues: SchemaIssue[] = []
  const summary: DatasetSummary = { format }
  const run = async (root: StructureNode, types: ValidatorType[], dims: Record<string, number>) => {
    if (organism?.genePrefix && root.kind === 'group' && types.includes('AnnData')) {
      const vars = await root.child('var')
      if (vars?.kind === 'dataframe') issues.push(...(await checkGeneIds(vars, { organism: organism.name, prefix: organism.genePrefix })))
    }
    // One scan per matrix for every check below: a 2 GiB X is read once.
    const scans = new MatrixScans()
    const cellxgene = resolved?.builtin === 'cellxgene-7.0' && root.kind === 'group'
    if (cellxgene && options.valueChecks) await planCellxgeneScans(root, scans)
    if (resolved) issues.push(...(await checkDeclarativeSchema(resolved.schema, root, { types, dims, values: options.valueChecks, scans, signal: options.signal })))
    if (cellxgene) issues.push(...(await checkCellxgeneRules(root, { values: options.valueChecks, organism, signal: options.signal, scans })))
    if (options.valueChecks && root.kind === 'group') issues.push(...(await matrixValueChecks(root, summary, scans, options.signal)))
    for (const i of await scans.sparseIssues()) issues.push({ severity: 'error', ...i })
  }

  if (format === 'h5ad') {
    await inspectH5ad(path, issues, summary, run)
  } else if (format === 'zarr') {
    await inspectZarr(path, issues, summary, run)
  } else {
    const table = await scanTable(path, format === 'tsv' ? '\t' : ',', options.signal)
    issues.push(...table.issues)
    summary.n_rows = table.frame.length
    summary.columns = {}
    for (const name of table.frame.columnNames) summary.columns[name] = (await table.frame.column(name))?.dtype ?? 'string'
    if (!table.issues.some((i) => i.code === 'MALFORMED_CSV' || i.code === 'MISSING_HEADER')) await run(table.frame, ['Table'], { n_rows: table.frame.length })
  }
  const errors = issues.filter((i) => i.severity === 'error')
  const warnings = issues.filter((i) => i.severity === 'warning')
  return { path, format, valid: errors.length === 0, errors, warnings, summary, organism, schemaIds: resolved?.schema.validators.map((v) => v.id) ?? [] }
}

/** Throws a ValidationError listing every error of an invalid report. */
export function assertValidDataset(report: DatasetReport): void {
  if (report.valid) return
  throw new ValidationError(
    `dataset ${report.path} (${report.format}) is invalid`,
    report.errors.map(({ code, path, message }) => ({ code, path, message })),
  )
}

/** X holds no NaN or ±inf (an error) and, as benchmarks expect, raw counts unless raw.X holds them (a warning if not). */
async function matrixValueChecks(root: StructureGroup, summary: DatasetSummary, scans: MatrixScans, signal?: AbortSignal): Promise<SchemaIssue[]> {
  const x = await root.child('X')
  if (x?.kind !== 'array') return []
  const scan = await scans.scan(x, signal)
  if (!scan) return []
  const total = x.shape.reduce((a, b) => a * b, 1)
  if (total > 0) summary.x_zero_fraction = (total - scan.visited + scan.zeros) / total
  const issues: SchemaIssue[] = []
  if (scan.notFinite > 0) issues.push({ severity: 'error', code: 'NOT_FINITE', path: 'X', message: `${scan.notFinite} of ${scan.visited} stored values are NaN or infinite` })
  // With raw.X present the counts are there, and X is expected to be normalised.
  const raw = await root.child('raw')
  const hasRawCounts = raw?.kind === 'group' && (await raw.child('X'))?.kind === 'array'
  if (scan.notInteger > 0 && !hasRawCounts) {
    issues.push({ severity: 'warning', code: 'NOT_RAW_COUNTS', path: 'X', message: `${scan.notInteger} of ${scan.visited} stored values are not whole numbers: X does not look like raw counts` })
  }
  return issues
}

export type StructureRun = (root: StructureNode, types: ValidatorType[], dims: Record<string, number>) => Promise<void>
