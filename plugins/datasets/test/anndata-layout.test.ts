import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DatasetReport, type ValidateDatasetOptions, validateDataset } from '../src/index.js'

// The same AnnData object, written by anndata as an h5ad file and as a zarr store, each copy
// broken by the same edit (test/fixtures/write_anndata_defects.py): one checker, so one answer.
const PYTHON = process.env.FIXTURE_PYTHON ?? '/usr/bin/python3'
const FORMATS = ['h5ad', 'zarr'] as const
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assets-anndata-defects-'))
  await promisify(execFile)(PYTHON, [join(import.meta.dirname, 'fixtures', 'write_anndata_defects.py'), dir], { timeout: 240_000 })
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const issues = (list: DatasetReport['errors']) => list.map((i) => `${i.code} ${i.path}`).sort()
const FLOAT32_X = { validators: [{ id: 'x', type: 'AnnData', properties: { X: { type: 'ndarray', encodings: ['csr'], allowed_dtypes: ['float32'] } } }] }

const DEFECTS: Array<{ name: string; errors: string[]; warnings?: string[]; options?: ValidateDatasetOptions }> = [
  { name: 'missing-var', errors: ['MISSING_KEY var', 'WRONG_SHAPE X', 'WRONG_SHAPE layers/counts'] },
  { name: 'layer-wrong-shape', errors: ['WRONG_SHAPE layers/counts'] },
  { name: 'obsm-wrong-rows', errors: ['WRONG_SHAPE obsm/X_pca'] },
  { name: 'x-one-dimensional', errors: ['WRONG_NDIM X'] },
  { name: 'column-short', errors: ['WRONG_SHAPE obs/n_genes'] },
  { name: 'column-not-stored', errors: ['MISSING_COLUMN obs/score'] },
  { name: 'indices-short', errors: ['WRONG_SHAPE X/indices'] },
  { name: 'indptr-decreasing', errors: ['INVALID_SPARSE X/indptr', 'INVALID_SPARSE X/indptr'] },
  { name: 'indptr-short', errors: ['INVALID_SPARSE X/indptr', 'WRONG_SHAPE X/indptr'] },
  { name: 'data-missing', errors: ['MISSING_KEY X/data'] },
  { name: 'root-encoding', errors: ['WRONG_ENCODING '] },
  { name: 'old-encoding', errors: [], warnings: ['MISSING_ENCODING obs', 'MISSING_ENCODING uns'] },
  { name: 'x-float64', errors: ['WRONG_DTYPE X'], options: { schema: FLOAT32_X } },
  { name: 'x-infinite', errors: ['NOT_FINITE X'], options: { valueChecks: true } },
]

describe('AnnData layout checks: the same on an h5ad file and a zarr store', () => {
  it('accepts the valid object in both formats with the same summary', async () => {
    const [h5ad, zarr] = await Promise.all(FORMATS.map((f) => validateDataset(join(dir, `valid.${f}`), { organism: 'human', valueChecks: true })))
    for (const report of [h5ad!, zarr!]) {
      expect(report.errors).toEqual([])
      expect(report.warnings).toEqual([])
    }
    const { format: _a, arrays: _b, ...fromH5ad } = h5ad!.summary
    const { format: _c, arrays: _d, ...fromZarr } = zarr!.summary
    expect(fromH5ad).toEqual({ n_obs: 40, n_vars: 30, x_encoding: 'csr', x_dtype: 'float32', layers: ['counts'], obsm: ['X_pca'], x_zero_fraction: expect.any(Number) })
    expect(fromZarr).toEqual(fromH5ad)
    expect(zarr!.format).toBe('zarr')
  })

  for (const defect of DEFECTS) {
    for (const format of FORMATS) {
      it(`${defect.name} (${format}): ${defect.errors.join(', ') || defect.warnings?.join(', ')}`, async () => {
        const report = await validateDataset(join(dir, `${defect.name}.${format}`), defect.options)
        expect(report.format).toBe(format)
        expect(issues(report.errors)).toEqual(defect.errors)
        expect(report.valid).toBe(defect.errors.length === 0)
        if (defect.warnings) expect(issues(report.warnings)).toEqual(defect.warnings)
      })
    }
  }
})
