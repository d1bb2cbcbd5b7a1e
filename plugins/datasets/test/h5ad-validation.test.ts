import { join } from 'node:path'
import { InvalidInputError } from '@assets/core'
import { describe, expect, inject, it } from 'vitest'
import { type DatasetReport, validateDataset } from '../src/index.js'

const fixture = (name: string) => join(inject('fixturesDir'), name)
const codes = (report: DatasetReport) => report.errors.map((i) => `${i.code} ${i.path}`)

const PBMC_SCHEMA = {
  validators: [
    {
      id: 'pbmc',
      type: 'AnnData',
      required: ['X', 'obs', 'var', 'uns'],
      properties: {
        X: { type: 'ndarray', encodings: ['dense', 'csr'], allowed_dtypes: ['float32'], ndim: 2, shape: ['n_obs', 'n_vars'] },
        obs: {
          type: 'dataframe',
          required: ['cell_type', 'n_genes'],
          columns: {
            cell_type: { dtype: 'string', categorical: true, enum: ['T cell', 'B cell', 'NK cell'] },
            n_genes: { dtype: 'integer', min: 0 },
            batch_size: { dtype: 'integer', nullable: true },
            is_doublet: { dtype: 'bool' },
          },
        },
        uns: { type: 'object', required: ['title'], properties: { title: { type: 'string' }, params: { type: 'object', required: ['n_pcs', 'method'] } } },
        obsm: { type: 'object', pattern_properties: { '^X_': { type: 'ndarray', shape: ['n_obs', { min: 2 }] } } },
      },
    },
  ],
}

describe('h5ad files written by anndata', () => {
  it('accepts a dense and a CSR file and records their shape and encoding', async () => {
    const dense = await validateDataset(fixture('dense.h5ad'), { organism: 'human', schema: PBMC_SCHEMA })
    expect(dense.errors).toEqual([])
    expect(dense.summary).toMatchObject({ format: 'h5ad', n_obs: 40, n_vars: 30, x_encoding: 'dense', x_dtype: 'float32', layers: ['counts'], obsm: ['X_pca'] })
    const csr = await validateDataset(fixture('csr.h5ad'), { organism: 'HUMAN', schema: PBMC_SCHEMA })
    expect(csr.errors).toEqual([])
    expect(csr.summary).toMatchObject({ x_encoding: 'csr', n_obs: 40, n_vars: 30 })
    expect(csr.organism?.taxon).toBe('NCBITaxon:9606')
    expect(csr.warnings).toEqual([])
  })

  it('refuses a file missing a required obs column, naming the column', async () => {
    const report = await validateDataset(fixture('missing-column.h5ad'), { schema: PBMC_SCHEMA })
    expect(report.valid).toBe(false)
    expect(codes(report)).toEqual(['MISSING_COLUMN obs/cell_type'])
  })

  it('refuses X stored with a dtype the schema does not allow', async () => {
    const report = await validateDataset(fixture('wrong-dtype.h5ad'), { schema: PBMC_SCHEMA })
    expect(codes(report)).toEqual(['WRONG_DTYPE X'])
    expect(report.errors[0]!.message).toContain('float64')
  })

  it('refuses a truncated file and HDF5 garbage before reading any element', async () => {
    const truncated = await validateDataset(fixture('truncated.h5ad'))
    expect(codes(truncated)).toEqual(['TRUNCATED_FILE '])
    const garbage = await validateDataset(fixture('garbage.h5ad'))
    expect(garbage.valid).toBe(false)
    expect(garbage.errors.map((i) => i.code)).toEqual(['UNREADABLE_FILE'])
    const notHdf5 = await validateDataset(fixture('samples.csv'), { format: 'h5ad' })
    expect(notHdf5.errors.map((i) => i.code)).toEqual(['NOT_HDF5'])
  })

  it('checks gene ids against the organism, falling back to var["ensembl_id"]', async () => {
    const wrong = await validateDataset(fixture('mouse.h5ad'), { organism: 'homo_sapiens' })
    expect(codes(wrong)).toEqual(['WRONG_GENE_PREFIX var/_index'])
    expect(wrong.errors[0]!.message).toContain('ENSG')
    expect((await validateDataset(fixture('mouse.h5ad'), { organism: 'NCBITaxon:10090' })).errors).toEqual([])
    expect((await validateDataset(fixture('ensembl-column.h5ad'), { organism: 'human' })).errors).toEqual([])
    expect(codes(await validateDataset(fixture('ensembl-column.h5ad'), { organism: 'mouse' }))).toEqual(['WRONG_GENE_PREFIX var/_index'])
  })

  it('refuses an unknown organism and an unknown built-in schema as bad input', async () => {
    await expect(validateDataset(fixture('dense.h5ad'), { organism: 'unicorn' })).rejects.toThrow(InvalidInputError)
    await expect(validateDataset(fixture('dense.h5ad'), { schema: 'cellxgene-9.9' })).rejects.toThrow(/unknown built-in schema/)
  })

  it('reports missing encoding attributes of old files as warnings, errors only when the schema requires them', async () => {
    const report = await validateDataset(fixture('old-encoding.h5ad'), { schema: PBMC_SCHEMA })
    expect(report.valid).toBe(true)
    expect(report.warnings.map((w) => `${w.code} ${w.path}`).sort()).toEqual(['MISSING_ENCODING obs', 'MISSING_ENCODING uns'])
    const strict = { validators: [{ id: 's', type: 'AnnData', properties: { uns: { type: 'object', attributes: { 'encoding-type': { required: true } } } } }] }
    expect(codes(await validateDataset(fixture('old-encoding.h5ad'), { schema: strict }))).toEqual(['MISSING_ATTRIBUTE uns@encoding-type'])
  })

  it('reads matrix values only with value checks: NaN/inf fail, non-integer counts warn', async () => {
    expect((await validateDataset(fixture('infinite.h5ad'))).valid).toBe(true)
    const infinite = await validateDataset(fixture('infinite.h5ad'), { valueChecks: true })
    expect(codes(infinite)).toEqual(['NOT_FINITE X'])
    const fractional = await validateDataset(fixture('fractional.h5ad'), { valueChecks: true })
    expect(fractional.valid).toBe(true)
    expect(fractional.warnings.map((w) => w.code)).toEqual(['NOT_RAW_COUNTS'])
    const csr = await validateDataset(fixture('csr.h5ad'), { valueChecks: true })
    expect(csr.summary.x_zero_fraction).toBeGreaterThan(0.5)
  })
})

describe('the built-in CELLxGENE 7.0 schema', () => {
  const cxg = (name: string, valueChecks = false) => validateDataset(fixture(name), { organism: 'human', schema: 'cellxgene-7.0', valueChecks })

  it('accepts a file that follows it, values included', async () => {
    const report = await cxg('cellxgene.h5ad', true)
    expect(report.errors).toEqual([])
    expect(report.schemaIds).toEqual(['cellxgene-7.0'])
  })

  it('requires uns/title', async () => {
    expect(codes(await cxg('cellxgene-no-title.h5ad'))).toEqual(['MISSING_KEY uns/title'])
  })

  it('refuses an ontology id that does not match its pattern', async () => {
    const report = await cxg('cellxgene-bad-term.h5ad')
    expect(codes(report)).toEqual(['PATTERN_MISMATCH obs/cell_type_ontology_term_id'])
    expect(report.errors[0]!.message).toContain('CL:000000X')
  })

  it('forbids organism_ontology_term_id in obs', async () => {
    expect(codes(await cxg('cellxgene-organism-in-obs.h5ad'))).toEqual(['FORBIDDEN_COLUMN obs/organism_ontology_term_id'])
  })

  it('refuses versioned gene ids and an X_ embedding with fewer than two columns', async () => {
    const report = await cxg('cellxgene-versioned.h5ad')
    expect(codes(report)).toEqual(['PATTERN_MISMATCH var/_index', 'WRONG_SHAPE obsm/X_flat'])
    expect(report.errors[0]!.message).toContain('ENSG00000000000.1')
  })

  it('lists every missing obs column of a non-CELLxGENE file, with versioned or symbol gene ids refused', async () => {
    const report = await cxg('ensembl-column.h5ad', true)
    const found = codes(report)
    expect(found).toContain('MISSING_KEY uns/organism_ontology_term_id')
    expect(found).toContain('MISSING_COLUMN obs/tissue_type')
    expect(found).toContain('MISSING_COLUMN obs/donor_id')
    expect(found).toContain('PATTERN_MISMATCH var/_index')
    expect(found.filter((c) => c.startsWith('MISSING_COLUMN obs/'))).toHaveLength(11)
  })

  it('requires a mostly-zero dense X to be stored as csr, and raw counts to be integers', async () => {
    const report = await validateDataset(fixture('fractional.h5ad'), { schema: 'cellxgene-7.0', valueChecks: true })
    expect(codes(report)).toContain('RAW_NOT_POSITIVE_INTEGER X')
    const sparse = await validateDataset(fixture('mostly-zero-dense.h5ad'), { schema: 'cellxgene-7.0', valueChecks: true })
    expect(codes(sparse)).toContain('SHOULD_BE_SPARSE X')
  })
})
