import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { computeDigest } from '@assets/datasets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './fixtures/cli.js'

// The dataset fixtures are written by @assets/datasets' own script, with anndata itself.
const WRITE_FIXTURES = fileURLToPath(new URL('../../../plugins/datasets/test/fixtures/write_fixtures.py', import.meta.url))

let sandbox: Sandbox
let data: string
beforeAll(async () => {
  sandbox = await Sandbox.create('validate')
  data = sandbox.path('data')
  await promisify(execFile)(process.env.FIXTURE_PYTHON ?? '/usr/bin/python3', [WRITE_FIXTURES, data], { timeout: 240_000 })
}, 300_000)
afterAll(() => sandbox.cleanup())

describe('assets validate', () => {
  it('exits 0 for a valid file and says what it holds', async () => {
    const r = await sandbox.run(['validate', join(data, 'csr.h5ad'), '--organism', 'human'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('40 obs × 30 vars, X csr float32): valid')
  })

  it('exits 1 and prints every issue with its path and code', async () => {
    const r = await sandbox.run(['validate', join(data, 'ensembl-column.h5ad'), '--schema', 'cellxgene-7.0', '--organism', 'mouse'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('error   var/_index:')
    expect(r.stdout).toContain('[WRONG_GENE_PREFIX]')
    expect(r.stdout).toContain('obs/donor_id: required column donor_id is missing [MISSING_COLUMN]')
    expect(r.stdout).toContain('uns/organism_ontology_term_id: required key organism_ontology_term_id is missing [MISSING_KEY]')
  })

  it('--json prints the whole report, --values reads the matrix', async () => {
    const r = await sandbox.run(['validate', join(data, 'infinite.h5ad'), '--values', '--json'])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as { valid: boolean; errors: Array<{ code: string; path: string }> }
    expect(report.valid).toBe(false)
    expect(report.errors.map((e) => `${e.code} ${e.path}`)).toEqual(['NOT_FINITE X'])
    expect((await sandbox.run(['validate', join(data, 'infinite.h5ad'), '--json'])).code).toBe(0)
  })

  it('takes a schema file and checks CSV tables with it', async () => {
    const schema = sandbox.path('samples.schema.yaml')
    await writeFile(schema, 'validators:\n  - id: samples\n    type: CSV\n    required: [sample_id, age]\n    properties:\n      age: {dtype: integer}\n')
    expect((await sandbox.run(['validate', join(data, 'samples.csv'), '--schema', schema])).code).toBe(0)
    const bad = await sandbox.run(['validate', join(data, 'bad-types.csv'), '--schema', schema])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain('age: dtype is string, expected integer [WRONG_DTYPE]')
  })

  it('checks a dataset spec given with --spec: a valid one passes, an invalid one is bad usage', async () => {
    const good = sandbox.path('pbmc.dataset.yaml')
    await writeFile(good, 'name: pbmc\nspecs:\n  - {name: counts, modality: rna, semantic: "EDAM:data_0006", organism: human}\n')
    expect((await sandbox.run(['validate', join(data, 'dense.h5ad'), '--spec', good])).code).toBe(0)
    const bad = sandbox.path('bad.dataset.yaml')
    await writeFile(bad, 'name: pbmc\nspecs: nope\n')
    const r = await sandbox.run(['validate', join(data, 'dense.h5ad'), '--spec', bad, '--json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stderr).error.code).toBe('USAGE')
  })

  it('checks the checksum a --spec declares: a file or zarr store other than the one described is invalid', async () => {
    const spec = async (name: string, checksum: string) => {
      const path = sandbox.path(name)
      await writeFile(path, `name: pbmc\nchecksum: "${checksum}"\nspecs:\n  - {name: counts, modality: rna, semantic: "EDAM:data_0006", organism: human}\n`)
      return path
    }
    const sha = `sha256:${createHash('sha256').update(await readFile(join(data, 'dense.h5ad'))).digest('hex')}`
    expect((await sandbox.run(['validate', join(data, 'dense.h5ad'), '--spec', await spec('right.dataset.yaml', sha)])).code).toBe(0)
    const wrong = await spec('wrong.dataset.yaml', `sha256:${'ab'.repeat(32)}`)
    const r = await sandbox.run(['validate', join(data, 'dense.h5ad'), '--spec', wrong])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`the spec declares checksum sha256:${'ab'.repeat(32)}, but the file's sha256 is ${sha}`)
    expect(r.stdout).toContain('[CHECKSUM_MISMATCH]')
    const json = await sandbox.run(['validate', join(data, 'csr.h5ad'), '--spec', await spec('other.dataset.yaml', sha), '--json'])
    expect(json.code).toBe(1)
    expect((JSON.parse(json.stdout) as { errors: Array<{ code: string }> }).errors.map((e) => e.code)).toEqual(['CHECKSUM_MISMATCH'])
    const store = join(data, 'anndata.zarr')
    expect((await sandbox.run(['validate', store, '--spec', await spec('zarr.dataset.yaml', await computeDigest(store, 'folder'))])).code).toBe(0)
    const zarr = await sandbox.run(['validate', store, '--spec', wrong])
    expect(zarr.code).toBe(1)
    expect(zarr.stdout).toContain("folder's manifest digest")
  })

  it('exits 2 for a missing path argument, an unusable schema file, an unknown organism or format', async () => {
    const schema = sandbox.path('bad.schema.yaml')
    await writeFile(schema, 'validators:\n  - id: x\n    type: CSV\n    colour: red\n')
    for (const args of [
      ['validate'],
      ['validate', join(data, 'samples.csv'), '--schema', schema],
      ['validate', join(data, 'samples.csv'), '--schema', sandbox.path('absent.yaml')],
      ['validate', join(data, 'dense.h5ad'), '--organism', 'unicorn'],
      ['validate', join(data, 'dense.h5ad'), '--format', 'parquet'],
    ]) {
      const r = await sandbox.run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toContain('error USAGE')
    }
  })
})
