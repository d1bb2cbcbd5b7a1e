import type { StructureArray } from '@assets/core'
import { type CellxgeneContext, childAt, indexValues, named, scalarAt } from './cellxgene-context.js'

/** Unpaired scATAC-seq (EFO:0010891 itself) needs no raw matrix: its X is a gene activity matrix. */
const UNPAIRED_ATAC = 'EFO:0010891'

/** The raw matrix: raw.X, else X (schema 7.0, "X (Matrix Layers)", the assay table). */
export async function rawMatrix(ctx: CellxgeneContext): Promise<StructureArray | undefined> {
  const rawX = await childAt(ctx.root, 'raw/X')
  if (rawX?.kind === 'array') return rawX
  const x = await ctx.root.child('X')
  return x?.kind === 'array' ? x : undefined
}

/**
 * Whether every cell is unpaired scATAC-seq. A categorical column is judged on its categories
 * when it has a single one (no per-cell array of 300 000 values); otherwise cell by cell.
 */
async function allUnpairedAtac(ctx: CellxgeneContext): Promise<boolean> {
  const obs = await ctx.root.child('obs')
  if (obs?.kind !== 'dataframe' || !obs.columnNames.includes('assay_ontology_term_id')) return false
  const column = await obs.column('assay_ontology_term_id')
  if (!column || column.length === 0) return false
  if (column.categorical && column.categories && column.missing) {
    const categories = await column.categories()
    if (categories.length === 1) return categories[0] === UNPAIRED_ATAC && (await column.missing()) === 0
    if (!Array.from(categories).includes(UNPAIRED_ATAC)) return false
  }
  const assays = await column.values()
  for (let i = 0; i < assays.length; i++) if (assays[i] !== UNPAIRED_ATAC) return false
  return true
}

/** Visium with is_single True: empty and repeated spots are allowed outside the tissue. */
export async function isSingleSpatial(ctx: CellxgeneContext): Promise<boolean> {
  return (await scalarAt(ctx.root, 'uns/spatial/is_single')) === true
}

/**
 * "All non-zero values MUST be positive integers stored as numpy.float32. Each cell MUST
 * contain at least one non-zero value. Any two cells MUST NOT contain identical values for all
 * their features." The dtype is a structure check; the rest read the matrix once.
 */
export async function checkRawMatrix(ctx: CellxgeneContext): Promise<void> {
  const matrix = await rawMatrix(ctx)
  if (!matrix) return
  if (matrix.path === 'X' && (await allUnpairedAtac(ctx))) return
  if (matrix.dtype !== 'float32') {
    ctx.report('error', 'RAW_NOT_FLOAT32', matrix.path, `the raw matrix is stored as ${matrix.dtype}: raw counts MUST be stored as float32`)
  }
  if (!ctx.values) return
  const scan = await ctx.scans.scan(matrix, ctx.signal, { rows: true })
  if (!scan) return
  if (scan.notPositiveInteger > 0) {
    ctx.report('error', 'RAW_NOT_POSITIVE_INTEGER', matrix.path, `${scan.notPositiveInteger} of ${scan.visited} stored non-zero values are not positive whole numbers (negative, fractional, NaN or infinite)`)
  }
  if (await isSingleSpatial(ctx)) {
    ctx.report('warning', 'RAW_ROWS_NOT_CHECKED', matrix.path, 'Visium with is_single: empty and identical spots are allowed outside the tissue (in_tissue 0); not checked per spot')
    return
  }
  if (!scan.rows) {
    const why = scan.sparse?.indptr ? `its indptr ${scan.sparse.indptr}` : 'its data, indices or indptr is missing or not 1-d'
    ctx.report('warning', 'RAW_ROWS_NOT_CHECKED', matrix.path, `empty and identical cells not checked: ${why}`)
    return
  }
  const names = scan.rows.empty > 0 || scan.rows.duplicates > 0 ? await indexValues(ctx.root, 'obs') : undefined
  if (scan.rows.empty > 0) {
    const e = scan.rows.emptyExamples.map((i) => named(names, i)).join(', ')
    ctx.report('error', 'RAW_EMPTY_CELL', matrix.path, `${scan.rows.empty} cells have no non-zero value in the raw matrix (e.g. cell ${e})`)
  }
  if (scan.rows.duplicates > 0) {
    const e = scan.rows.duplicateExamples.map(([a, b]) => `cells ${named(names, a)} and ${named(names, b)}`).join('; ')
    ctx.report('error', 'RAW_DUPLICATE_CELLS', matrix.path, `${scan.rows.duplicates} cells repeat the raw values of another cell for every feature (e.g. ${e})`)
  }
}
