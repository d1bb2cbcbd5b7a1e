import type { StructureDataFrame } from '@assets/core'
import { type CellxgeneContext, columnValues, indexValues, scalarAt, Tally } from './cellxgene-context.js'

const HUMAN = 'NCBITaxon:9606'
const C_ELEGANS = 'NCBITaxon:6239'
/** "The following CL terms MUST NOT be used" (cell_type_ontology_term_id). */
const FORBIDDEN_CELL_TYPES = new Set(['CL:0000255', 'CL:0000257', 'CL:0000548'])
/** Visium terms we know without the EFO ontology, and Slide-seqV2: one assay for every cell. */
const SINGLE_ASSAY = new Set(['EFO:0010961', 'EFO:0022857', 'EFO:0022859', 'EFO:0022860', 'EFO:0030062'])
/** Columns only Visium with is_single True may carry. */
const SPATIAL_COLUMNS = ['in_tissue', 'array_row', 'array_col']

/** A " || " list in ascending lexical order with no term twice. */
const ordered = (value: string): boolean => {
  const terms = value.split(' || ')
  return terms.every((t, i) => i === 0 || terms[i - 1]! < t)
}

/** A column's distinct values: its categories when categorical (a handful), else every cell. */
async function distinct(ctx: CellxgeneContext, name: string): Promise<Set<unknown>> {
  const obs = await ctx.root.child('obs')
  if (obs?.kind !== 'dataframe' || !obs.columnNames.includes(name)) return new Set()
  const column = await obs.column(name)
  if (!column) return new Set()
  return new Set(Array.from(column.categorical && column.categories ? await column.categories() : await column.values()))
}

/**
 * Whether any per-cell rule can fail, judged on each column's distinct values: a dataset of
 * tissue cells with well-formed terms (the usual case) is cleared without decoding 300 000
 * cells per column. A "maybe" (unused categories count) runs the per-cell pass.
 */
async function mayFail(ctx: CellxgeneContext, organism: unknown, isSingle: unknown): Promise<boolean> {
  const d = async (name: string) => distinct(ctx, name)
  const [tissueType, cellType, tissue, ethnicity, disease, sex, assay, stage, donor] = (await Promise.all(
    [
      'tissue_type', 'cell_type_ontology_term_id', 'tissue_ontology_term_id', 'self_reported_ethnicity_ontology_term_id', 'disease_ontology_term_id',
      'sex_ontology_term_id', 'assay_ontology_term_id', 'development_stage_ontology_term_id', 'donor_id',
    ].map(d),
  )) as [Set<unknown>, Set<unknown>, Set<unknown>, Set<unknown>, Set<unknown>, Set<unknown>, Set<unknown>, Set<unknown>, Set<unknown>]
  const any = (set: Set<unknown>, test: (v: unknown) => boolean) => [...set].some(test)
  return (
    tissueType.has('cell line') ||
    [cellType, ethnicity, sex, stage, donor].some((set) => set.has('na')) ||
    any(cellType, (v) => FORBIDDEN_CELL_TYPES.has(String(v))) ||
    any(tissue, (v) => FORBIDDEN_CELL_TYPES.has(String(v)) || String(v).startsWith('CVCL_') || v === 'UBERON:0000922') ||
    (organism !== undefined && organism !== HUMAN && any(ethnicity, (v) => v !== 'na')) ||
    any(ethnicity, (v) => typeof v === 'string' && !ordered(v)) ||
    any(disease, (v) => typeof v === 'string' && !ordered(v)) ||
    (organism === C_ELEGANS && sex.has('PATO:0000383')) ||
    isSingle === false ||
    (assay.size > 1 && any(assay, (v) => SINGLE_ASSAY.has(String(v))))
  )
}

/**
 * The obs rules that tie columns (or uns) together, per cell: what "cell line" requires, the
 * organism's terms, ordered term lists, the forbidden CL terms, Visium's columns.
 */
export async function checkObsRules(ctx: CellxgeneContext): Promise<void> {
  const obs = await ctx.root.child('obs')
  if (obs?.kind !== 'dataframe') return
  const organism = await scalarAt(ctx.root, 'uns/organism_ontology_term_id')
  const isSingle = await scalarAt(ctx.root, 'uns/spatial/is_single')
  if (isSingle !== true) {
    for (const name of SPATIAL_COLUMNS) {
      if (obs.columnNames.includes(name)) ctx.report('error', 'SPATIAL_ONLY', `obs/${name}`, `${name} MUST NOT be present unless uns.spatial.is_single is True (Visium)`)
    }
  }
  if (!(await mayFail(ctx, organism, isSingle))) return
  await checkCells(ctx, obs, organism, isSingle)
}

async function checkCells(ctx: CellxgeneContext, obs: StructureDataFrame, organism: unknown, isSingle: unknown): Promise<void> {
  const col = (name: string) => columnValues(ctx.root, 'obs', name)
  const [tissueType, cellType, stage, ethnicity, sex, donor, tissue, disease, assay, primary] = await Promise.all(
    [
      'tissue_type', 'cell_type_ontology_term_id', 'development_stage_ontology_term_id', 'self_reported_ethnicity_ontology_term_id',
      'sex_ontology_term_id', 'donor_id', 'tissue_ontology_term_id', 'disease_ontology_term_id', 'assay_ontology_term_id', 'is_primary_data',
    ].map(col),
  )
  const tally = new Tally()
  const fail = (code: string, column: string, what: string, i: number, value: unknown) => tally.add('error', code, `obs/${column}`, what, { row: i, value })
  let cellLineNa: boolean | undefined
  for (let i = 0; i < obs.length; i++) {
    const cellLine = tissueType?.[i] === 'cell line'
    for (const [column, values] of [['development_stage_ontology_term_id', stage], ['self_reported_ethnicity_ontology_term_id', ethnicity], ['sex_ontology_term_id', sex], ['donor_id', donor]] as const) {
      const v = values?.[i]
      if (v === undefined || v === null) continue
      if (cellLine && v !== 'na') fail('CELL_LINE_NOT_NA', column, 'cells of tissue_type "cell line" are not "na"', i, v)
      if (!cellLine && v === 'na' && !(column === 'self_reported_ethnicity_ontology_term_id' && organism !== HUMAN)) {
        fail('NA_OUTSIDE_CELL_LINE', column, 'cells are "na" but their tissue_type is not "cell line"', i, v)
      }
    }
    const ct = cellType?.[i]
    if (ct === 'na' && !cellLine) fail('NA_OUTSIDE_CELL_LINE', 'cell_type_ontology_term_id', 'cells are "na" but their tissue_type is not "cell line"', i, ct)
    if (cellLine && ct !== undefined) {
      // "MAY be na, but then all observations where tissue_type is cell line MUST be na".
      cellLineNa ??= ct === 'na'
      if ((ct === 'na') !== cellLineNa) fail('CELL_LINE_TYPE_MIXED', 'cell_type_ontology_term_id', 'cell-line cells mix "na" and cell types', i, ct)
    }
    if (typeof ct === 'string' && FORBIDDEN_CELL_TYPES.has(ct)) fail('FORBIDDEN_TERM', 'cell_type_ontology_term_id', 'cells use a CL term the schema forbids', i, ct)
    const t = tissue?.[i]
    if (typeof t === 'string' && tissueType) {
      if (cellLine !== t.startsWith('CVCL_')) fail('TISSUE_TERM_MISMATCH', 'tissue_ontology_term_id', 'cells are Cellosaurus terms exactly when tissue_type is not "cell line"', i, t)
      if (tissueType[i] === 'organoid' && t === 'UBERON:0000922') fail('TISSUE_TERM_MISMATCH', 'tissue_ontology_term_id', 'organoid cells use UBERON:0000922 (embryo)', i, t)
      if (tissueType[i] === 'primary cell culture' && FORBIDDEN_CELL_TYPES.has(t)) fail('FORBIDDEN_TERM', 'tissue_ontology_term_id', 'cells use a CL term the schema forbids', i, t)
    }
    const e = ethnicity?.[i]
    if (organism !== undefined && organism !== HUMAN && e !== undefined && e !== 'na') {
      fail('ETHNICITY_NOT_NA', 'self_reported_ethnicity_ontology_term_id', 'cells are not "na" in a non-human dataset', i, e)
    }
    for (const [column, values] of [['self_reported_ethnicity_ontology_term_id', ethnicity], ['disease_ontology_term_id', disease]] as const) {
      const v = values?.[i]
      if (typeof v === 'string' && v.includes(' || ') && !ordered(v)) fail('TERMS_NOT_ORDERED', column, 'cells list terms out of ascending order or twice', i, v)
    }
    if (organism === C_ELEGANS && sex?.[i] === 'PATO:0000383') fail('SEX_NOT_ALLOWED', 'sex_ontology_term_id', 'C. elegans cells are female (PATO:0000383)', i, sex[i])
    if (isSingle === false && primary?.[i] === true) fail('PRIMARY_DATA_NOT_FALSE', 'is_primary_data', 'cells are True though uns.spatial.is_single is False', i, true)
    if (assay && i > 0 && assay[i] !== assay[0] && (SINGLE_ASSAY.has(String(assay[0])) || SINGLE_ASSAY.has(String(assay[i])))) {
      fail('ASSAY_NOT_UNIQUE', 'assay_ontology_term_id', 'cells differ in assay in a Visium or Slide-seqV2 dataset', i, assay[i])
    }
  }
  await tally.flush(ctx, () => indexValues(ctx.root, 'obs'))
}
