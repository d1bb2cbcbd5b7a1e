// Validating a large h5ad (default ~2 GiB, dense float32 X; BENCH_H5AD_BYTES to shrink) with
// @assets/datasets, each run in its own child process so that its peak RSS is its own:
//  - structural validation (encodings, obs/var, shapes, gene-id prefix) against h5py opening
//    the same file and reading the same structure;
//  - value validation (every X value: integers, NaN/inf, zeros, streamed in slices) against
//    `sha256sum` of the same file, as the baseline for reading every byte once;
//  - the built-in cellxgene-7.0 schema with value rules (the file is CELLxGENE-valid: X is its
//    raw matrix, so every row is hashed for identical cells), against the same baseline.
// The file is written in row blocks with h5py, so generating it never holds the matrix.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BYTES = Number(process.env.BENCH_H5AD_BYTES ?? 2 * 1024 ** 3)
const PYTHON = process.env.FIXTURE_PYTHON ?? '/usr/bin/python3'
const N_VARS = 2000
const N_OBS = Math.max(100, Math.floor(BYTES / (4 * N_VARS)))
const root = mkdtempSync(join(tmpdir(), 'assets-bench-h5ad-'))
const file = join(root, 'large.h5ad')
const mb = (kb) => (kb / 1024).toFixed(0)

const GENERATE = `
import sys, h5py, numpy as np
path, n_obs, n_vars = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
str_dt = h5py.string_dtype('utf-8')
def enc(node, kind, version):
    node.attrs['encoding-type'] = kind
    node.attrs['encoding-version'] = version
def frame(f, name, index, columns):
    g = f.create_group(name); enc(g, 'dataframe', '0.2.0')
    g.attrs['_index'] = '_index'; g.attrs['column-order'] = np.array(list(columns), dtype=str_dt)
    d = g.create_dataset('_index', data=np.array(index, dtype=object), dtype=str_dt); enc(d, 'string-array', '0.2.0')
    for k, v in columns.items():
        c = g.create_group(k); enc(c, 'categorical', '0.2.0'); c.attrs['ordered'] = False
        cats = sorted(set(v)); codes = np.array([cats.index(x) for x in v[:len(cats)]] * (len(v) // len(cats)) + [0] * (len(v) % len(cats)), dtype=np.int8)
        x = c.create_dataset('codes', data=codes); enc(x, 'array', '0.2.0')
        x = c.create_dataset('categories', data=np.array(cats, dtype=object), dtype=str_dt); enc(x, 'string-array', '0.2.0')
rng = np.random.default_rng(1)
with h5py.File(path, 'w') as f:
    enc(f, 'anndata', '0.1.0')
    kinds = ['T cell', 'B cell', 'NK cell', 'monocyte']
    # The obs columns CELLxGENE 7.0 requires (one value each), so that the same file also
    # passes --schema cellxgene-7.0: X is its raw matrix (float32 counts, no raw.X).
    cxg = {k: [v] * n_obs for k, v in {
        'assay_ontology_term_id': 'EFO:0009922', 'cell_type_ontology_term_id': 'CL:0000236', 'development_stage_ontology_term_id': 'HsapDv:0000087',
        'disease_ontology_term_id': 'PATO:0000461', 'donor_id': 'donor-1', 'self_reported_ethnicity_ontology_term_id': 'HANCESTRO:0005',
        'sex_ontology_term_id': 'PATO:0000383', 'suspension_type': 'cell', 'tissue_ontology_term_id': 'UBERON:0002048', 'tissue_type': 'tissue'}.items()}
    frame(f, 'obs', [f'cell{i}' for i in range(n_obs)], {'cell_type_label': [kinds[i % 4] for i in range(n_obs)], **cxg})
    d = f['obs'].create_dataset('is_primary_data', data=np.ones(n_obs, dtype=bool)); enc(d, 'array', '0.2.0')
    f['obs'].attrs['column-order'] = np.array(list(f['obs'].attrs['column-order']) + ['is_primary_data'], dtype=str_dt)
    frame(f, 'var', [f'ENSG{i:011d}' for i in range(n_vars)], {})
    d = f['var'].create_dataset('feature_is_filtered', data=np.zeros(n_vars, dtype=bool)); enc(d, 'array', '0.2.0')
    f['var'].attrs['column-order'] = np.array(['feature_is_filtered'], dtype=str_dt)
    x = f.create_dataset('X', shape=(n_obs, n_vars), dtype=np.float32); enc(x, 'array', '0.2.0')
    step = max(1, (64 << 20) // (4 * n_vars))
    for start in range(0, n_obs, step):
        end = min(n_obs, start + step)
        block = rng.integers(0, 4, size=(end - start, n_vars), dtype=np.int8).astype(np.float32)
        x[start:end] = block
    for name in ['layers', 'obsm', 'varm', 'obsp', 'varp', 'uns']:
        enc(f.create_group(name), 'dict', '0.1.0')
    t = f['uns'].create_dataset('title', data='bench', dtype=str_dt); enc(t, 'string', '0.2.0')
    t = f['uns'].create_dataset('organism_ontology_term_id', data='NCBITaxon:9606', dtype=str_dt); enc(t, 'string', '0.2.0')
    u = f['obsm'].create_dataset('X_umap', data=rng.random((n_obs, 2), dtype=np.float32)); enc(u, 'array', '0.2.0')
`

const H5PY_STRUCTURE = `
import sys, time, resource, h5py
t = time.perf_counter()
with h5py.File(sys.argv[1], 'r') as f:
    def visit(name, obj):
        dict(obj.attrs)
        if isinstance(obj, h5py.Dataset): obj.shape, obj.dtype
    f.visititems(visit)
    obs = f['obs/_index'][:]; var = f['var/_index'][:]
    assert all(v.startswith(b'ENSG') for v in var)
    f['X'].shape, f['X'].dtype
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
`

const datasetsEntry = fileURLToPath(import.meta.resolve('@assets/datasets'))
// Loading the package and compiling HDF5's wasm is timed apart from the validation itself.
const CHILD = `
let t = performance.now()
const { preloadHdf5, validateDataset } = await import(${JSON.stringify(datasetsEntry)})
await preloadHdf5()
const loadSeconds = (performance.now() - t) / 1000
t = performance.now()
const mode = process.argv[2]
const report = await validateDataset(process.argv[1], {
  organism: 'human',
  valueChecks: mode !== 'structure',
  ...(mode === 'cellxgene' ? { schema: 'cellxgene-7.0' } : {}),
})
const seconds = (performance.now() - t) / 1000
if (!report.valid) { console.error(JSON.stringify(report.errors)); process.exit(1) }
console.log(JSON.stringify({ seconds, loadSeconds, maxRssKb: process.resourceUsage().maxRSS, zeros: report.summary.x_zero_fraction }))
`

function node(args) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`validation child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1))
}

try {
  const script = join(root, 'generate.py')
  writeFileSync(script, GENERATE)
  let t = performance.now()
  execFileSync(PYTHON, [script, file, String(N_OBS), String(N_VARS)], { stdio: 'inherit' })
  const size = statSync(file).size
  console.log(`generated ${(size / 1024 ** 3).toFixed(2)} GiB h5ad (${N_OBS} obs x ${N_VARS} vars, dense float32) in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  // Warm the page cache the same way for everyone: the baseline reads every byte first.
  t = performance.now()
  execFileSync('sha256sum', [file])
  const shaSeconds = (performance.now() - t) / 1000

  const empty = spawnSync(process.execPath, ['-e', 'console.log(process.resourceUsage().maxRSS)'], { encoding: 'utf8' })
  const nodeFloorKb = Number(empty.stdout.trim())
  const structure = node([file, 'structure'])
  const h5pyOut = execFileSync(PYTHON, ['-c', H5PY_STRUCTURE, file], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)
  const values = node([file, 'values'])
  const cellxgene = node([file, 'cellxgene'])
  const shaRepeat = performance.now()
  execFileSync('sha256sum', [file])
  const shaSeconds2 = (performance.now() - shaRepeat) / 1000
  const shaBest = Math.min(shaSeconds, shaSeconds2)
  const mbps = (s) => (size / 1024 ** 2 / s).toFixed(0)

  console.log(`structural validation: ${(structure.seconds * 1000).toFixed(0)} ms, peak RSS ${mb(structure.maxRssKb)} MB (goal < 500 ms, < 150 MB)`)
  console.log(`  plus loading @assets/datasets and compiling HDF5's wasm once per process: ${(structure.loadSeconds * 1000).toFixed(0)} ms`)
  console.log(`  baseline h5py reading the same structure: ${(h5pyOut[0] * 1000).toFixed(0)} ms, peak RSS ${mb(h5pyOut[1])} MB -> ratio ${(structure.seconds / h5pyOut[0]).toFixed(2)}`)
  console.log(`  (an empty node process peaks at ${mb(nodeFloorKb)} MB)`)
  console.log(`value validation: ${values.seconds.toFixed(2)} s = ${mbps(values.seconds)} MB/s, peak RSS ${mb(values.maxRssKb)} MB (goal >= 500 MB/s, < 150 MB); X ${(100 * values.zeros).toFixed(1)} % zeros`)
  console.log(`  baseline sha256sum of the same file (page cache warm): ${shaBest.toFixed(2)} s = ${mbps(shaBest)} MB/s -> ratio ${(values.seconds / shaBest).toFixed(2)}`)
  console.log(`cellxgene-7.0 with value rules (raw counts float32 positive integers, empty and identical cells, feature_is_filtered, obsm, X once): ${cellxgene.seconds.toFixed(2)} s = ${mbps(cellxgene.seconds)} MB/s, peak RSS ${mb(cellxgene.maxRssKb)} MB (goal >= 500 MB/s, <= 150 MB)`)
  console.log(`  baseline sha256sum: ratio ${(cellxgene.seconds / shaBest).toFixed(2)}; plain value validation: ratio ${(cellxgene.seconds / values.seconds).toFixed(2)}`)
} finally {
  rmSync(root, { recursive: true, force: true })
}
