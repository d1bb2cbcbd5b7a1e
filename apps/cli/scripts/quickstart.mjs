#!/usr/bin/env node
// The README's quickstart job: runs the built `assets` command on the embedded default (no
// server, no config) and prints every command with its output. It generates a small
// single-cell dataset, "trains" a tiny model on it, stores a task config, runs a benchmark
// step, stores its metrics linked to the exact versions they came from, then searches,
// shows versions and lineage, gets a copy back and checks its digest, and verifies the store.
// Exits non-zero at the first step that fails.
//
// ASSETS_HOME: honoured when set (nothing in it is deleted); otherwise ./.assets-quickstart,
// wiped at the start so every run begins fresh.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
if (!existsSync(BIN)) fail(`${BIN} is missing: build first (pnpm build)`)

const givenHome = process.env.ASSETS_HOME
const home = resolve(givenHome || '.assets-quickstart')
if (!givenHome) rmSync(home, { recursive: true, force: true })
const samples = join(home, 'quickstart-samples')
rmSync(samples, { recursive: true, force: true })
mkdirSync(samples, { recursive: true })

// The embedded default: whatever this shell selects (a config file, a server) is left out.
const env = { ...process.env, ASSETS_HOME: home }
for (const name of ['CONFIG_PATH', 'DOTENV_PATH', 'STORAGE_TYPE', 'CACHE_TYPE', 'CACHE_ENABLED', 'DB_TYPE', 'DB_PATH']) delete env[name]

console.log(`# ASSETS_HOME=${home}${givenHome ? '' : ' (fresh)'}; sample files in ${samples}\n`)

// ---- sample data, deterministic ----
const random = mulberry32(42)
const GENES = ['CD3E', 'CD4', 'CD8A', 'MS4A1', 'CD79A', 'LYZ', 'CD14', 'FCGR3A', 'NKG7', 'GNLY', 'PPBP', 'HBB', 'IL7R', 'CCR7', 'S100A8', 'FCER1A']
const TYPES = { 'T cell': [0, 1, 2, 12, 13], 'B cell': [3, 4], monocyte: [5, 6, 14], 'NK cell': [7, 8, 9] }
const typeNames = Object.keys(TYPES)
const cells = Array.from({ length: 120 }, (_, i) => {
  const type = typeNames[i % typeNames.length]
  const markers = new Set(TYPES[type])
  const counts = GENES.map((_, g) => Math.floor(random() * (markers.has(g) ? 16 : 9)))
  return { id: `cell_${String(i + 1).padStart(3, '0')}`, type, counts }
})
const toTsv = (rows) => [['cell_id', 'cell_type', ...GENES].join('\t'), ...rows.map((c) => [c.id, c.type, ...c.counts].join('\t'))].join('\n') + '\n'
writeFileSync(join(samples, 'pbmc-mini.tsv'), toTsv(cells))
// Version 1.1.0: a QC pass that drops cells with few counts.
const kept = cells.filter((c) => c.counts.reduce((a, b) => a + b, 0) >= 70)
writeFileSync(join(samples, 'pbmc-mini-qc.tsv'), toTsv(kept))

// The "model": one centroid per cell type, trained on dataset 1.0.0.
const centroids = typeNames.map((t) => {
  const members = cells.filter((c) => c.type === t)
  return GENES.map((_, g) => members.reduce((sum, c) => sum + c.counts[g], 0) / members.length)
})
mkdirSync(join(samples, 'centroid-model'), { recursive: true })
writeFileSync(
  join(samples, 'centroid-model', 'config.json'),
  JSON.stringify({ architecture: 'nearest-centroid', genes: GENES, classes: typeNames, dtype: 'float32' }, null, 2) + '\n',
)
writeFileSync(join(samples, 'centroid-model', 'weights.bin'), Buffer.from(new Float32Array(centroids.flat()).buffer))

writeFileSync(
  join(samples, 'cell-typing.yaml'),
  'task: cell_type_classification\nlabel_column: cell_type\nmetric: accuracy\nseed: 42\n',
)

// ---- the catalogue ----
assets('put', 'datasets/pbmc-mini', 'pbmc-mini.tsv', '--kind', 'dataset', '--version', '1.0.0',
  '--meta', 'organism=human', '--meta', 'tissue=blood', '--meta', `n_cells=${cells.length}`, '--meta', `n_genes=${GENES.length}`,
  '--tag', 'gold', '--description', 'synthetic PBMC-like counts, cells x genes')
assets('put', 'datasets/pbmc-mini', 'pbmc-mini-qc.tsv', '--kind', 'dataset', '--version', '1.1.0',
  '--meta', 'organism=human', '--meta', 'tissue=blood', '--meta', `n_cells=${kept.length}`, '--meta', `n_genes=${GENES.length}`,
  '--meta', 'qc=min_counts_70', '--relate', 'derived_from=datasets/pbmc-mini@1.0.0', '--description', 'QC-filtered cells')
assets('put', 'models/centroid-baseline', 'centroid-model', '--kind', 'model', '--version', '1.0.0',
  '--meta', 'framework=plain-js', '--meta', `n_params=${centroids.flat().length}`,
  '--relate', 'trained_on=datasets/pbmc-mini@1.0.0', '--tag', 'candidate')
assets('put', 'configs/cell-typing', 'cell-typing.yaml', '--kind', 'config', '--version', '1.0.0', '--meta', 'task=cell_type_classification')

// ---- the benchmark step: classify every cell of 1.1.0 with the model, score against its labels ----
console.log('# benchmark step: nearest-centroid cell typing on datasets/pbmc-mini@1.1.0')
const correct = kept.filter((c) => typeNames[nearest(c.counts)] === c.type).length
const metrics = { task: 'cell_type_classification', accuracy: Number((correct / kept.length).toFixed(4)), n_cells: kept.length }
mkdirSync(join(samples, 'run-001'), { recursive: true })
writeFileSync(join(samples, 'run-001', 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n')
console.log(`${JSON.stringify(metrics)}\n`)

assets('put', 'outputs/cell-typing/run-001', 'run-001/metrics.json', '--kind', 'output', '--version', '1.0.0',
  '--meta', `accuracy=${metrics.accuracy}`, '--relate', 'evaluated_on=datasets/pbmc-mini@1.1.0',
  '--relate', 'used_model=models/centroid-baseline@1.0.0', '--relate', 'used_config=configs/cell-typing@1.0.0')

// ---- look around ----
assets('find', '--where', 'organism=human', '--where', 'n_cells>=100', '--all-versions')
assets('ls')
assets('versions', 'datasets/pbmc-mini')
assets('lineage', 'outputs/cell-typing/run-001')

// ---- get one back and check it is the same bytes ----
const copy = assets('get', 'datasets/pbmc-mini@gold', '--out', 'roundtrip/pbmc-mini.tsv').trim()
const original = sha256(join(samples, 'pbmc-mini.tsv'))
const fetched = sha256(copy)
if (fetched !== original) fail(`MISMATCH: ${copy} has ${fetched}, the original has ${original}`)
console.log(`OK  sha256 of the copy matches the original: ${original}\n`)

assets('verify')
console.log('quickstart finished: every step succeeded')

// ---- helpers ----

/** Runs `assets …` in the samples folder, prints the command and its output, returns stdout. */
function assets(...args) {
  console.log(`$ assets ${args.map(quote).join(' ')}`)
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: samples, env, encoding: 'utf8' })
  if (r.stdout) process.stdout.write(r.stdout)
  if (r.stderr) process.stdout.write(r.stderr)
  console.log()
  if (r.status !== 0) fail(`assets ${args[0]} exited with ${r.status ?? r.signal}`)
  return r.stdout
}

function quote(arg) {
  return /^[A-Za-z0-9_./@=:,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

function nearest(counts) {
  let best = 0
  let bestDistance = Number.POSITIVE_INFINITY
  centroids.forEach((centroid, i) => {
    const d = centroid.reduce((sum, v, g) => sum + (v - counts[g]) ** 2, 0)
    if (d < bestDistance) [best, bestDistance] = [i, d]
  })
  return best
}

function sha256(path) {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`
}

// A small seeded generator, so every run makes the same files (and the same digests).
function mulberry32(seed) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function fail(message) {
  console.error(`quickstart failed: ${message}`)
  process.exit(1)
}
