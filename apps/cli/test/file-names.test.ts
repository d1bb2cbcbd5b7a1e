import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, realpath } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './fixtures/cli.js'

const run = promisify(execFile)
const PYTHON = process.env.FIXTURE_PYTHON ?? '/usr/bin/python3'
// The dataset fixtures are written by @assets/datasets' own script, with anndata itself.
const WRITE_FIXTURES = fileURLToPath(new URL('../../../plugins/datasets/test/fixtures/write_fixtures.py', import.meta.url))
// How the field opens a path: a reader chosen by the extension, as scanpy.read does.
const READ_BY_EXTENSION = `
import pathlib, sys, anndata
readers = {".h5ad": anndata.read_h5ad, ".zarr": anndata.read_zarr}
for p in sys.argv[1:]:
    a = readers[pathlib.Path(p).suffix](p)
    print(pathlib.Path(p).name, a.n_obs, a.n_vars)
`

let s: Sandbox
let data: string
beforeAll(async () => {
  s = await Sandbox.create('file-names')
  data = s.path('data')
  await run(PYTHON, [WRITE_FIXTURES, data], { timeout: 240_000 })
}, 300_000)
afterAll(() => s.cleanup())

const readByExtension = async (...paths: string[]) => (await run(PYTHON, ['-c', READ_BY_EXTENSION, ...paths])).stdout

describe('a fetched file keeps its name', () => {
  it('get prints a path ending in the name put recorded, which anndata and a reader chosen by extension open', async () => {
    const h5ad = await s.json<{ fileName: string }>(['put', 'datasets/pbmc', join(data, 'csr.h5ad'), '--kind', 'dataset'])
    expect(h5ad.fileName).toBe('csr.h5ad')
    await s.json(['put', 'datasets/store', join(data, 'anndata.zarr'), '--kind', 'dataset'])
    const file = (await s.json<{ path: string }>(['get', 'datasets/pbmc'])).path
    const store = (await s.json<{ path: string }>(['get', 'datasets/store'])).path
    expect([basename(file), basename(store)]).toEqual(['csr.h5ad', 'anndata.zarr'])
    const { stdout } = await run(PYTHON, ['-c', 'import sys, anndata; a = anndata.read_h5ad(sys.argv[1]); print(a.shape)', file])
    expect(stdout.trim()).toBe('(40, 30)')
    expect(await readByExtension(file, store)).toBe('csr.h5ad 40 30\nanndata.zarr 40 30\n')
    // No copy: the path is a link to the one cache entry.
    expect((await realpath(file)).startsWith(join(s.home, 'cache', 'entries'))).toBe(true)
  })

  it('--name names a temporary source; info shows the name, as JSON too', async () => {
    await copyFile(join(data, 'dense.h5ad'), s.path('tmp8f3k2'))
    await s.json(['put', 'datasets/dense', 'tmp8f3k2', '--kind', 'dataset', '--name', 'dense-counts.h5ad'])
    const info = await s.json<{ fileName: string }>(['info', 'datasets/dense'])
    expect(info.fileName).toBe('dense-counts.h5ad')
    expect((await s.run(['info', 'datasets/dense'])).stdout).toMatch(/^file name +dense-counts\.h5ad$/m)
    const path = (await s.json<{ path: string }>(['get', 'datasets/dense'])).path
    expect(await readByExtension(path)).toBe('dense-counts.h5ad 40 30\n')
    const bad = await s.run(['put', 'datasets/dense', 'tmp8f3k2', '--name', '../escape.h5ad'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^error INVALID_INPUT: invalid file name "..\/escape.h5ad": it contains a path separator/)
  })

  it('get --out into a folder places it under its name; without a cache the path keeps the name too', async () => {
    await mkdir(s.path('downloads'))
    const into = await s.json<{ path: string }>(['get', 'datasets/pbmc', '--out', 'downloads'])
    expect(into.path).toBe(s.path('downloads', 'csr.h5ad'))
    const slash = await s.json<{ path: string }>(['get', 'datasets/store', '--out', 'fresh/'])
    expect(slash.path).toBe(s.path('fresh', 'anndata.zarr'))
    expect(await readByExtension(into.path, slash.path)).toBe('csr.h5ad 40 30\nanndata.zarr 40 30\n')
    const uncached = await s.json<{ path: string }>(['get', 'datasets/pbmc'], { env: { CACHE_ENABLED: 'false' } })
    expect(basename(uncached.path)).toBe('csr.h5ad')
    expect(await readFile(uncached.path)).toEqual(await readFile(join(data, 'csr.h5ad')))
  })

  it('find, ls and lineage show the name', async () => {
    await s.json(['put', 'outputs/run-1', join(data, 'csr.h5ad'), '--relate', 'derived_from=datasets/pbmc@1.0.0'])
    expect((await s.run(['ls', 'datasets/'])).stdout).toMatch(/^datasets\/pbmc +1\.0\.0 +dataset +csr\.h5ad /m)
    expect((await s.run(['lineage', 'outputs/run-1', '--up'])).stdout).toBe(
      ['outputs/run-1@1.0.0  csr.h5ad', 'came from:', '  └─ derived_from → datasets/pbmc@1.0.0  csr.h5ad', ''].join('\n'),
    )
  })
})
