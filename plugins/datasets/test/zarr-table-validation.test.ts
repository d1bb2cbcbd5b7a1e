import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { type DatasetReport, FileSystemStore, validateDataset } from '../src/index.js'

const fixture = (name: string) => join(inject('fixturesDir'), name)
const codes = (report: DatasetReport) => report.errors.map((i) => `${i.code} ${i.path}`)

describe('zarr stores', () => {
  const IMAGES = {
    validators: [
      {
        id: 'images',
        type: 'Zarr',
        required: ['images', 'labels'],
        attributes: { description: { required: true, pattern: 'fixture' } },
        properties: {
          images: { type: 'ndarray', allowed_dtypes: ['uint8'], ndim: 3, shape: ['n', 16, 16], chunks: [2, null, null], attributes: { units: { enum: ['counts'] } } },
          labels: { type: 'ndarray', allowed_dtypes: ['integer'], shape: ['n'] },
        },
      },
    ],
  }

  it('checks a zarr v2 store written by zarr-python: arrays, dtypes, shapes, chunks and attributes', async () => {
    const report = await validateDataset(fixture('plain.zarr'), { schema: IMAGES })
    expect(report.format).toBe('zarr')
    expect(report.errors).toEqual([])
    expect(report.summary.arrays).toEqual({
      images: { dtype: 'uint8', shape: [8, 16, 16], chunks: [2, 16, 16] },
      labels: { dtype: 'int32', shape: [8], chunks: [4] },
    })
  })

  it('reports each zarr array that breaks the schema', async () => {
    const strict = structuredClone(IMAGES) as { validators: Array<{ required: string[]; properties: Record<string, Record<string, unknown>> }> }
    const props = strict.validators[0]!.properties as { images: Record<string, unknown>; labels: Record<string, unknown> }
    props.images.allowed_dtypes = ['float32']
    props.images.chunks = [4, null, null]
    props.labels.shape = [9]
    strict.validators[0]!.required.push('masks')
    const report = await validateDataset(fixture('plain.zarr'), { schema: strict })
    expect(codes(report).sort()).toEqual(['MISSING_KEY masks', 'WRONG_CHUNKS images', 'WRONG_DTYPE images', 'WRONG_SHAPE labels'])
  })

  it('reads a zarr v3 store written by zarrita', async () => {
    const schema = { validators: [{ id: 'v3', type: 'Zarr', properties: { matrix: { type: 'ndarray', allowed_dtypes: ['float32'], shape: [6, 4], chunks: [2, 4], values: { integer: true, max: 2 } } } }] }
    const report = await validateDataset(fixture('v3.zarr'), { schema, valueChecks: true })
    expect(report.errors).toEqual([])
    expect(report.summary.arrays?.matrix).toEqual({ dtype: 'float32', shape: [6, 4], chunks: [2, 4] })
    const tighter = structuredClone(schema)
    tighter.validators[0]!.properties.matrix.values.max = 1
    expect(codes(await validateDataset(fixture('v3.zarr'), { schema: tighter, valueChecks: true }))).toEqual(['OUT_OF_RANGE matrix'])
  })

  it('checks an AnnData zarr store as AnnData: obs columns, gene ids and X', async () => {
    const schema = { validators: [{ id: 'a', type: 'AnnData', properties: { obs: { type: 'dataframe', required: ['cell_type', 'donor'] }, X: { type: 'ndarray', shape: ['n_obs', 'n_vars'] } } }] }
    const report = await validateDataset(fixture('anndata.zarr'), { schema, organism: 'mouse' })
    expect(codes(report).sort()).toEqual(['MISSING_COLUMN obs/donor', 'WRONG_GENE_PREFIX var/_index'])
    expect(report.summary).toMatchObject({ n_obs: 40, n_vars: 30, x_encoding: 'dense' })
  })
})

describe('the zarr folder store', () => {
  it('serves files inside the store and nothing outside it', async () => {
    const store = new FileSystemStore(fixture('plain.zarr'))
    expect(JSON.parse(new TextDecoder().decode(await store.get('/images/.zarray')))).toMatchObject({ shape: [8, 16, 16] })
    expect(await store.get('/missing/.zarray')).toBeUndefined()
    expect(await store.get('/../samples.csv')).toBeUndefined()
    expect(await store.get('../../etc/passwd')).toBeUndefined()
    expect(await store.children('')).toEqual(['images', 'labels'])
  })
})

describe('CSV and TSV tables', () => {
  const SAMPLES = {
    validators: [
      {
        id: 'samples',
        type: 'Table',
        required: ['sample_id', 'age', 'group'],
        properties: { sample_id: { dtype: 'string', unique: true }, age: { dtype: 'integer', min: 0, max: 120 }, group: { enum: ['case', 'control'] } },
      },
    ],
  }

  it('accepts a CSV with quoted fields and infers each column type', async () => {
    const report = await validateDataset(fixture('samples.csv'), { schema: SAMPLES })
    expect(report.errors).toEqual([])
    expect(report.summary).toMatchObject({ format: 'csv', n_rows: 20, columns: { sample_id: 'string', age: 'int64', weight: 'float64', group: 'string', note: 'string' } })
  })

  it('reads TSV by its extension', async () => {
    const report = await validateDataset(fixture('samples.tsv'), { schema: SAMPLES })
    expect(report).toMatchObject({ format: 'tsv', valid: true, summary: { n_rows: 5 } })
  })

  it('refuses a column whose cells are not of the declared type', async () => {
    const report = await validateDataset(fixture('bad-types.csv'), { schema: SAMPLES })
    expect(codes(report)).toEqual(['WRONG_DTYPE age'])
  })

  it('reports malformed rows without a schema', async () => {
    const { writeFile } = await import('node:fs/promises')
    const path = join(inject('fixturesDir'), 'ragged.csv')
    await writeFile(path, 'a,b\n1,2\n3\n"open,4\n')
    const report = await validateDataset(path)
    expect(codes(report)).toEqual(['WRONG_FIELD_COUNT row 2', 'MALFORMED_CSV '])
    await writeFile(path, 'a,b\n1,2\n3\n')
    expect(codes(await validateDataset(path))).toEqual(['WRONG_FIELD_COUNT row 2'])
  })
})
