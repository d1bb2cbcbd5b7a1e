import { appendFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BaseAssetManager, hashFile, IntegrityError, InvalidInputError, type PutProgress, ValidationError } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { computeDigest, createDatasetManager, type DatasetAssetManager } from '../src/index.js'

const fixture = (name: string) => join(inject('fixturesDir'), name)
const admin = { user: 'alice', roles: ['admin'] }

let dir: string
let manager: DatasetAssetManager

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assets-datasets-manager-'))
  manager = createDatasetManager({ storage: createLocalStorage({ path: join(dir, 'store') }), registry: createSqliteRegistry({ path: join(dir, 'registry.db') }) }, admin)
})

afterEach(async () => {
  await manager.close()
  await rm(dir, { recursive: true, force: true })
})

async function storedObjects(): Promise<string[]> {
  const found: string[] = []
  for await (const o of manager.storage.list('')) found.push(o.location)
  return found
}

/** Nothing registered and nothing stored: the invariant of every refused put. */
async function expectNothingKept(): Promise<void> {
  expect((await manager.findAssets({ allVersions: true, includeDeleted: true })).items).toEqual([])
  expect(await storedObjects()).toEqual([])
}

async function refusal(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected the put to be refused')
}

/** Runs `change` once, when the put reports its upload phase (validation is done by then). */
function atUpload(change: () => void): { onProgress: (p: PutProgress) => void; fired: () => boolean } {
  let fired = false
  return {
    onProgress: (p) => {
      if (p.phase !== 'upload' || fired) return
      fired = true
      change()
    },
    fired: () => fired,
  }
}

describe('putDataset', () => {
  it('registers a valid h5ad with modality, organism, format and shape in metadata that findAssets can query', async () => {
    const result = await manager.putDataset('datasets/pbmc', fixture('csr.h5ad'), {
      modality: 'rna',
      organism: 'Homo sapiens',
      provenance: { author: 'Ada', source: 'fixture', citations: ['doi:10.1/x'], doi: '10.1/x' },
      tags: ['gold'],
    })
    expect(result).toMatchObject({ key: 'datasets/pbmc', version: '1.0.0', kind: 'dataset', created: true })
    expect(result.metadata).toMatchObject({ modality: 'rna', organism: 'NCBITaxon:9606', organism_name: 'homo_sapiens', format: 'h5ad', n_obs: 40, n_vars: 30, x_encoding: 'csr' })
    expect(result.provenance).toMatchObject({ author: 'Ada', doi: '10.1/x' })
    const found = await manager.findAssets({ kind: 'dataset', where: { modality: 'rna', organism: 'NCBITaxon:9606', n_obs: { $gte: 40 } } })
    expect(found.items.map((r) => r.key)).toEqual(['datasets/pbmc'])
    expect((await manager.findAssets({ where: { organism: 'NCBITaxon:10090' } })).items).toEqual([])
    expect(result.digest).toBe((await hashFile(fixture('csr.h5ad'))).digest)
  })

  it('registers a zarr store as a folder asset and a CSV as a file, under a schema and a matching checksum', async () => {
    const zarr = await manager.putDataset('datasets/images', fixture('plain.zarr'), { modality: 'environmental', checksum: await computeDigest(fixture('plain.zarr'), 'folder') })
    expect(zarr).toMatchObject({ type: 'folder', metadata: { format: 'zarr', modality: 'environmental' } })
    expect(zarr.digest).toBe(await computeDigest(fixture('plain.zarr'), 'folder'))
    const schema = 'validators:\n  - id: samples\n    type: CSV\n    required: [sample_id, age]\n'
    const csv = await manager.putDataset('datasets/samples', fixture('samples.csv'), { modality: 'clinical', schema, checksum: (await hashFile(fixture('samples.csv'))).digest })
    expect(csv.metadata).toMatchObject({ format: 'csv', n_rows: 20, schema: ['samples'] })
    expect(csv.declarativeSchema).toMatchObject({ validators: [{ id: 'samples', type: 'CSV' }] })
  })

  it('accepts a CELLxGENE file under the built-in schema and stores the schema name', async () => {
    const result = await manager.putDataset('datasets/cxg', fixture('cellxgene.h5ad'), { modality: 'rna', organism: 'NCBITaxon:9606', schema: 'cellxgene-7.0', valueChecks: true })
    expect(result.declarativeSchema).toBe('cellxgene-7.0')
    expect(result.metadata.x_zero_fraction).toBeGreaterThan(0.5)
  })

  it('validates and stores a dataset spec with core parseSpec, and refuses a bad one', async () => {
    const spec = { name: 'pbmc', specs: [{ name: 'counts', modality: 'rna', semantic: 'EDAM:data_0006', organism: 'human' }] }
    const error = await refusal(() => manager.putDataset('datasets/spec', fixture('dense.h5ad'), { modality: 'rna', spec: { specs: 'nope' } }))
    expect(ValidationError.isInstance(error)).toBe(true)
    await expectNothingKept()
    const put = await manager.putDataset('datasets/spec', fixture('dense.h5ad'), { modality: 'rna', spec })
    expect(put.specs).toMatchObject({ name: 'pbmc', specs: [{ name: 'counts', organism: 'NCBITaxon:9606' }] })
  })

  const broken: Array<[string, string, Record<string, unknown>, string]> = [
    ['truncated file', 'truncated.h5ad', {}, 'TRUNCATED_FILE '],
    ['CSR indptr that points outside data', 'bad-indptr.h5ad', {}, 'INVALID_SPARSE X/indptr'],
    ['HDF5 garbage', 'garbage.h5ad', {}, 'UNREADABLE_FILE '],
    ['missing obs column', 'missing-column.h5ad', { schema: { validators: [{ id: 'p', type: 'AnnData', properties: { obs: { type: 'dataframe', required: ['cell_type'] } } }] } }, 'MISSING_COLUMN obs/cell_type'],
    ['wrong dtype', 'wrong-dtype.h5ad', { schema: { validators: [{ id: 'p', type: 'AnnData', properties: { X: { type: 'ndarray', allowed_dtypes: ['float32'] } } }] } }, 'WRONG_DTYPE X'],
    ['wrong gene prefix for the organism', 'mouse.h5ad', { organism: 'human' }, 'WRONG_GENE_PREFIX var/_index'],
    ['missing uns/title under CELLxGENE', 'cellxgene-no-title.h5ad', { organism: 'human', schema: 'cellxgene-7.0' }, 'MISSING_KEY uns/title'],
    ['invalid ontology id', 'cellxgene-bad-term.h5ad', { organism: 'human', schema: 'cellxgene-7.0' }, 'PATTERN_MISMATCH obs/cell_type_ontology_term_id'],
  ]
  for (const [what, file, options, expected] of broken) {
    it(`refuses a ${what} with its code and path, registering and storing nothing`, async () => {
      const error = await refusal(() => manager.putDataset('datasets/broken', fixture(file), { modality: 'rna', ...options }))
      expect(ValidationError.isInstance(error)).toBe(true)
      const issues = (error as ValidationError).issues.map((i) => `${i.code} ${i.path}`)
      expect(issues).toContain(expected)
      expect((error as Error).message).toContain(expected.split(' ')[0])
      await expectNothingKept()
    })
  }

  it('refuses a declared checksum that does not match with an IntegrityError, storing nothing', async () => {
    const error = await refusal(() => manager.putDataset('datasets/sum', fixture('dense.h5ad'), { modality: 'rna', checksum: `sha256:${'0'.repeat(64)}` }))
    expect(IntegrityError.isInstance(error)).toBe(true)
    expect((error as Error).message).toContain('does not match')
    await expectNothingKept()
  })

  it('refuses a file changed between validation and upload with an IntegrityError, registering nothing', async () => {
    const copy = join(dir, 'changing.h5ad')
    await cp(fixture('dense.h5ad'), copy)
    // Validation is over when the upload begins: the bytes uploaded are not the ones validated.
    const change = atUpload(() => appendFileSync(copy, 'appended after validation'))
    const error = await refusal(() => manager.putDataset('datasets/changing', copy, { modality: 'rna', onProgress: change.onProgress }))
    expect(change.fired()).toBe(true)
    expect(IntegrityError.isInstance(error)).toBe(true)
    expect((error as Error).message).toContain('changed while it was being put')
    expect((await manager.findAssets({ allVersions: true, includeDeleted: true })).items).toEqual([])
    // Unchanged, the same file goes in.
    await cp(fixture('dense.h5ad'), copy)
    expect((await manager.putDataset('datasets/changing', copy, { modality: 'rna' })).digest).toBe((await hashFile(copy)).digest)
  })

  it('refuses a file rewritten in place with its size and modification time kept, and a zarr store that gained a file', async () => {
    const copy = join(dir, 'rewritten.h5ad')
    await cp(fixture('dense.h5ad'), copy)
    const rewrite = () => {
      const before = statSync(copy)
      const bytes = readFileSync(copy)
      bytes[bytes.length - 1] = (bytes[bytes.length - 1]! + 1) % 256
      writeFileSync(copy, bytes)
      utimesSync(copy, before.atime, before.mtime)
    }
    const inPlace = atUpload(rewrite)
    const file = await refusal(() => manager.putDataset('datasets/rewritten', copy, { modality: 'rna', onProgress: inPlace.onProgress }))
    expect(inPlace.fired()).toBe(true)
    expect((file as Error).message).toContain('changed while it was being put')
    const store = join(dir, 'growing.zarr')
    await cp(fixture('anndata.zarr'), store, { recursive: true })
    const add = atUpload(() => writeFileSync(join(store, 'uns', 'late.json'), '{}'))
    const folder = await refusal(() => manager.putDataset('datasets/growing', store, { modality: 'rna', onProgress: add.onProgress }))
    expect(add.fired()).toBe(true)
    expect(IntegrityError.isInstance(folder)).toBe(true)
    expect((await manager.findAssets({ allVersions: true, includeDeleted: true })).items).toEqual([])
  })

  it('refuses bad options before reading the file: modality, checksum form, organism', async () => {
    for (const options of [{ modality: 'dna-ish' }, { modality: 'rna', checksum: 'md5:abc' }, { modality: 'rna', organism: 'unicorn' }]) {
      const error = await refusal(() => manager.putDataset('datasets/bad', fixture('dense.h5ad'), options as never))
      expect(InvalidInputError.isInstance(error)).toBe(true)
    }
    await expectNothingKept()
  })

  it('offers no way around validation: plain put and registration by reference are refused', async () => {
    const put = await refusal(() => manager.put('datasets/unchecked', fixture('dense.h5ad'), {}, { kind: 'dataset' }))
    expect(InvalidInputError.isInstance(put)).toBe(true)
    expect((put as Error).message).toMatch(/use putDataset/)
    const reference = await refusal(() => manager.putReference('datasets/unchecked', 's3://bucket/x.h5ad'))
    expect((reference as { code?: string }).code).toBe('UNSUPPORTED_OPERATION')
    await expectNothingKept()
  })

  it('wraps an existing manager, sharing its stack and actor', async () => {
    const base = new BaseAssetManager({ storage: manager.storage, registry: manager.registry }, { user: 'bob' })
    const datasets = createDatasetManager(base)
    expect(datasets.actor.user).toBe('bob')
    const put = await datasets.putDataset('datasets/bob', fixture('samples.tsv'), { modality: 'clinical' })
    expect(put.createdBy).toBe('user:bob')
    expect((await manager.getMetadata('datasets/bob')).metadata).toMatchObject({ format: 'tsv' })
    const copy = join(dir, 'copy.csv')
    await cp(fixture('samples.csv'), copy)
    expect((await datasets.validateDataset(copy)).valid).toBe(true)
  })
})
