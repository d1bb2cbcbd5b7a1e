import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { type DatasetReport, validateDataset } from '../src/index.js'

// Fixtures written by write_cellxgene_fixtures.py (anndata) at the start of the run.
const fixture = (name: string) => join(inject('fixturesDir'), 'cellxgene', name)
const check = (name: string, organism = 'human') => validateDataset(fixture(name), { organism, schema: 'cellxgene-7.0', valueChecks: true })
const codes = (report: DatasetReport) => report.errors.map((i) => `${i.code} ${i.path}`).sort()

// The value rules run on both formats: each of these fixtures is written by write_h5ad and
// by write_zarr from the same AnnData (the zarr twin of empty-cell, duplicate-cells and
// bad-indices with chunks of 7 or 16 entries, so the sparse parts are read across chunks).
const FORMATS = ['h5ad', 'zarr'] as const
const as = (format: (typeof FORMATS)[number], name: string) => (format === 'h5ad' ? name : name.replace(/\.h5ad$/, '.zarr'))

describe.each(FORMATS)('CELLxGENE 7.0 value rules (%s)', (format) => {
  const f = (name: string) => as(format, name)

  it('accepts a valid dataset with raw.X and a normalised X, and one whose X is the raw matrix, without a not-checked warning', async () => {
    for (const name of ['cxg-valid.h5ad', 'cxg-valid-no-raw.h5ad']) {
      const report = await check(f(name))
      expect(report.format, name).toBe(format)
      expect(report.errors, name).toEqual([])
      expect(report.warnings, name).toEqual([])
    }
  })

  it('refuses a raw matrix not stored as float32, on structure alone', async () => {
    expect(codes(await check(f('cxg-raw-int64.h5ad')))).toEqual(['RAW_NOT_FLOAT32 raw/X'])
    const structure = await validateDataset(fixture(f('cxg-raw-float64.h5ad')), { schema: 'cellxgene-7.0' })
    expect(codes(structure)).toEqual(['RAW_NOT_FLOAT32 X'])
    expect(codes(await check(f('cxg-raw-float64.h5ad')))).toEqual(['RAW_NOT_FLOAT32 X'])
  })

  it('refuses negative, fractional and NaN raw counts', async () => {
    const report = await check(f('cxg-raw-not-positive-integer.h5ad'))
    expect(codes(report)).toEqual(['RAW_NOT_POSITIVE_INTEGER raw/X'])
    expect(report.errors[0]!.message).toMatch(/^3 of \d+ stored non-zero values/)
  })

  it('refuses a cell with no non-zero raw value, naming it', async () => {
    const report = await check(f('cxg-empty-cell.h5ad'))
    expect(codes(report)).toEqual(['RAW_EMPTY_CELL raw/X'])
    expect(report.errors[0]!.message).toContain('cell 4 (cell4)')
    expect(report.warnings).toEqual([])
  })

  it('refuses cells identical to another, counting the repeats', async () => {
    const report = await check(f('cxg-duplicate-cells.h5ad'))
    expect(codes(report)).toEqual(['RAW_DUPLICATE_CELLS raw/X'])
    expect(report.errors[0]!.message).toMatch(/^2 cells repeat/)
    expect(report.errors[0]!.message).toContain('cells 2 (cell2) and 7 (cell7)')
    expect(report.warnings).toEqual([])
  })

  it('checks feature_is_filtered against raw presence and the X and raw.X columns', async () => {
    expect(codes(await check(f('cxg-filtered-without-raw.h5ad')))).toEqual(['FEATURE_FILTERED_WITHOUT_RAW var/feature_is_filtered'])
    const notZero = await check(f('cxg-filtered-not-zero.h5ad'))
    expect(codes(notZero)).toEqual(['FILTERED_FEATURE_NOT_ZERO var/feature_is_filtered'])
    expect(notZero.errors[0]!.message).toContain('ENSG00000000003')
    expect(notZero.warnings).toEqual([])
    const unflagged = await check(f('cxg-zero-not-filtered.h5ad'))
    expect(codes(unflagged)).toEqual(['ZERO_FEATURE_NOT_FILTERED var/feature_is_filtered'])
    expect(unflagged.errors[0]!.message).toContain('ENSG00000000006')
  })

  it('reads sparse indices in the values pass and names the element when one is outside the minor dimension', async () => {
    const report = await check(f('cxg-bad-indices.h5ad'))
    expect(codes(report)).toContain('INVALID_SPARSE raw/X/indices')
    expect(report.errors.find((e) => e.code === 'INVALID_SPARSE')!.message).toMatch(/^2 entries are outside .*25 at entry 0, -1 at entry 1/)
    // Structure alone does not read indices.
    expect(codes(await validateDataset(fixture(f('cxg-bad-indices.h5ad')), { schema: 'cellxgene-7.0' }))).toEqual([])
    // Without a schema too: every sparse matrix the values pass reads (X here).
    const plain = await validateDataset(fixture(f('cxg-bad-x-indices.h5ad')), { valueChecks: true })
    expect(codes(plain)).toEqual(['INVALID_SPARSE X/indices'])
    expect(plain.errors[0]!.message).toContain(`20 at entry 3`)
  })
})

describe('CELLxGENE 7.0 rule by rule', () => {
  it('warns that cells and feature_is_filtered were not checked only when a sparse part is missing', async () => {
    const report = await check('cxg-raw-no-indices.zarr')
    expect(codes(report)).toEqual(['MISSING_KEY raw/X/indices'])
    expect(report.warnings.map((w) => `${w.code} ${w.path}`).sort()).toEqual(['FEATURE_FILTER_NOT_CHECKED var/feature_is_filtered', 'RAW_ROWS_NOT_CHECKED raw/X'])
    expect(report.warnings.find((w) => w.code === 'RAW_ROWS_NOT_CHECKED')!.message).toContain('indices or indptr is missing')
  })

  it('needs no raw counts for unpaired scATAC-seq (every cell EFO:0010891), and does when one cell is of another assay', async () => {
    expect(codes(await check('cxg-unpaired-atac.h5ad'))).toEqual([])
    expect(codes(await check('cxg-atac-mixed.h5ad'))).toEqual(['RAW_NOT_POSITIVE_INTEGER X'])
  })


  it('refuses the names Discover adds, deprecated names, and feature_is_filtered in raw.var', async () => {
    expect(codes(await check('cxg-reserved.h5ad'))).toEqual([
      'FORBIDDEN_COLUMN obs/cell_type', 'FORBIDDEN_COLUMN obs/ethnicity', 'FORBIDDEN_COLUMN obs/observation_joinid', 'FORBIDDEN_COLUMN var/feature_name',
      'FORBIDDEN_KEY uns/X_normalization', 'FORBIDDEN_KEY uns/schema_version', 'FORBIDDEN_NAME obs/__private',
    ])
    expect(codes(await check('cxg-raw-var-filtered.h5ad'))).toEqual(['FORBIDDEN_COLUMN raw/var/feature_is_filtered'])
    expect(codes(await check('cxg-raw-var-mismatch.h5ad'))).toEqual(['INDEX_MISMATCH raw/var'])
  })

  it('checks obs values and the rules between columns', async () => {
    expect(codes(await check('cxg-cell-line.h5ad'))).toEqual([
      'CELL_LINE_NOT_NA obs/development_stage_ontology_term_id', 'CELL_LINE_TYPE_MIXED obs/cell_type_ontology_term_id', 'TISSUE_TERM_MISMATCH obs/tissue_ontology_term_id',
    ])
    expect(codes(await check('cxg-spatial-not-single.h5ad'))).toEqual(['ASSAY_NOT_UNIQUE obs/assay_ontology_term_id', 'PRIMARY_DATA_NOT_FALSE obs/is_primary_data'])
    const worm = await validateDataset(fixture('cxg-c-elegans.h5ad'), { schema: 'cellxgene-7.0', valueChecks: true })
    expect(codes(worm)).toEqual(['SEX_NOT_ALLOWED obs/sex_ontology_term_id'])
    expect(codes(await check('cxg-duplicate-obs-names.h5ad'))).toEqual(['DUPLICATE_VALUE obs/_index'])
    expect(codes(await check('cxg-obs-values.h5ad'))).toEqual([
      'FORBIDDEN_TERM obs/cell_type_ontology_term_id', 'NA_OUTSIDE_CELL_LINE obs/donor_id', 'TERMS_NOT_ORDERED obs/disease_ontology_term_id',
      'VALUE_NOT_ALLOWED obs/sex_ontology_term_id', 'VALUE_NOT_ALLOWED obs/tissue_type',
    ])
    expect(codes(await check('cxg-mouse-ethnicity.h5ad', 'mouse'))).toEqual(['ETHNICITY_NOT_NA obs/self_reported_ethnicity_ontology_term_id'])
    expect(codes(await check('cxg-spatial-columns.h5ad'))).toEqual(['SPATIAL_ONLY obs/in_tissue'])
  })

  it('checks obsm keys and values, empty varm arrays, and the uns keys that name other elements', async () => {
    expect(codes(await check('cxg-obsm.h5ad'))).toEqual(['EMPTY_ELEMENT varm/loadings', 'OBSM_ALL_NAN obsm/X_pca', 'OBSM_INFINITE obsm/X_umap', 'OBSM_KEY_INVALID obsm/X_1bad'])
    expect(codes(await check('cxg-uns.h5ad'))).toEqual([
      'BATCH_CONDITION_UNKNOWN uns/batch_condition', 'COLORS_INVALID uns/cell_type_ontology_term_id_colors', 'COLORS_INVALID uns/donor_id_colors',
      'DEFAULT_EMBEDDING_UNKNOWN uns/default_embedding', 'VALUE_NOT_ALLOWED uns/X_approximate_distribution',
    ])
  })
})
