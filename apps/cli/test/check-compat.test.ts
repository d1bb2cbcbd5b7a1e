import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './fixtures/cli.js'

// A small dataset × model × task trio that fits, written by each test in the variant it needs.
const DATASET = `name: pbmc3k
specs:
  - name: counts
    modality: rna
    semantic: "EDAM:data_3917"
    organism: homo_sapiens
    formats: [h5ad]
  - name: cell types
    modality: rna
    semantic: "CL:0000000"
    formats: [ndarray]
`
const MODEL = {
  name: 'scvi',
  version: '1.0.0',
  required_inputs: [{ name: 'counts', modality: 'rna', semantic: 'EDAM:data_3917', organism: 'HUMAN', formats: ['h5ad', 'zarr'] }],
  outputs: [{ name: 'clusters', modality: 'rna', semantic: 'EDAM:operation_3432', formats: ['ndarray'] }],
  compute: { use_gpu: true, gpu_min_memory: 16000, cpu_cores: 2, ram_mb: 4096, disk_mb: 1000 },
}
const TASK = `name: clustering
goal: clustering
input_schema: { name: counts, modality: rna, semantic: "EDAM:data_3917" }
prediction_schema: { name: clusters, modality: rna, semantic: "EDAM:operation_3432", formats: [ndarray] }
reference_schema: { name: cell types, modality: rna, semantic: "CL:0000000", formats: [ndarray] }
metrics:
  - name: ari
    category: clustering
    impl: czbenchmarks.metrics:ari
    inputs:
      - { name: clusters, modality: rna, semantic: "EDAM:operation_3432", formats: [ndarray] }
      - { name: cell types, modality: rna, semantic: "CL:0000000", formats: [ndarray] }
`
const GPU_MACHINE = { gpus: [{ type: 'NVIDIA L4', memory_mb: 23034, compute_capability: '8.9' }], cpu_cores: 8, ram_mb: 32768, disk_mb: 100000 }
const CPU_MACHINE = { cpu_cores: 8, ram_mb: 32768, disk_mb: 100000 }

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await Sandbox.create('check-compat')
  await write('dataset.yaml', DATASET)
  await write('model.json', JSON.stringify(MODEL))
  await write('task.yaml', TASK)
  await write('gpu-machine.json', JSON.stringify(GPU_MACHINE))
  await write('cpu-machine.json', JSON.stringify(CPU_MACHINE))
})
afterAll(() => sandbox.cleanup())

async function write(name: string, text: string): Promise<string> {
  await writeFile(sandbox.path(name), text)
  return name
}

const TRIO = ['--dataset', 'dataset.yaml', '--model', 'model.json', '--task', 'task.yaml']

describe('assets check-compat', () => {
  it('exits 0 and says so for a compatible dataset, model and task (YAML and JSON files)', async () => {
    const r = await sandbox.run(['check-compat', ...TRIO])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toBe('compatible: dataset "pbmc3k", model "scvi", task "clustering"\n')
  })

  it('--json prints one document with the verdict and the issues', async () => {
    const r = await sandbox.run(['check-compat', ...TRIO, '--machine', 'gpu-machine.json', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      compatible: true,
      errors: 0,
      warnings: 0,
      dataset: 'pbmc3k',
      model: 'scvi',
      task: 'clustering',
      machineChecked: true,
      issues: [],
    })
  })

  it('exits 1 listing every issue when the combination does not fit', async () => {
    await write('model-zarr.json', JSON.stringify({ ...MODEL, required_inputs: [{ ...MODEL.required_inputs[0], formats: ['zarr'] }], outputs: [] }))
    const r = await sandbox.run(['check-compat', '--dataset', 'dataset.yaml', '--model', 'model-zarr.json', '--task', 'task.yaml'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('')
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^SEVERITY\s+WHO\s+CODE\s+MESSAGE$/)
    expect(lines[1]).toMatch(/^error\s+dataset\s+FORMAT_MISMATCH\s+Dataset "pbmc3k" has the "counts" slot .* only as h5ad, but Model "scvi" reads zarr$/)
    expect(lines[2]).toMatch(/^error\s+model\s+MISSING_OUTPUT\s+Model "scvi" does not emit the "clusters" slot/)
    expect(lines.at(-1)).toBe('incompatible (2 errors, 0 warnings): dataset "pbmc3k", model "scvi", task "clustering"')

    const json = await sandbox.run(['check-compat', '--dataset', 'dataset.yaml', '--model', 'model-zarr.json', '--task', 'task.yaml', '--json'])
    expect(json.code).toBe(1)
    const doc = JSON.parse(json.stdout) as { compatible: boolean; issues: Array<{ code: string; who: string; severity: string }> }
    expect(doc.compatible).toBe(false)
    expect(doc.issues.map((i) => `${i.who} ${i.code} ${i.severity}`)).toEqual(['dataset FORMAT_MISMATCH error', 'model MISSING_OUTPUT error'])
  })

  it('warnings alone keep exit 0', async () => {
    await write('model-optional.json', JSON.stringify({ ...MODEL, optional_inputs: [{ name: 'batch', modality: 'rna', semantic: 'EFO:0005067' }] }))
    const r = await sandbox.run(['check-compat', '--dataset', 'dataset.yaml', '--model', 'model-optional.json'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^warning\s+dataset\s+OPTIONAL_INPUT_MISSING\s+.*"batch"/m)
    expect(r.stdout).toContain('compatible with 1 warning: dataset "pbmc3k", model "scvi"\n')
  })

  it('--machine checks the compute needs: a GPU model on a CPU-only machine exits 1', async () => {
    const r = await sandbox.run(['check-compat', ...TRIO, '--machine', 'cpu-machine.json', '--json'])
    expect(r.code).toBe(1)
    const doc = JSON.parse(r.stdout) as { issues: Array<{ code: string; message: string }> }
    expect(doc.issues).toEqual([expect.objectContaining({ code: 'RESOURCE_UNMET', message: expect.stringContaining('the machine has no GPU') })])
  })

  it('exits 2 on an invalid spec, listing every problem with its path', async () => {
    await write('bad-dataset.yaml', DATASET.replace('"EDAM:data_3917"', 'counts_matrix').replace('homo_sapiens', 'martian'))
    const r = await sandbox.run(['check-compat', '--dataset', 'bad-dataset.yaml', '--model', 'model.json'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('error VALIDATION_FAILED: invalid dataset spec in bad-dataset.yaml (2 problems)')
    expect(r.stderr).toContain('specs/0/organism: unknown organism "martian"')
    expect(r.stderr).toContain('specs/0/semantic: semantic must be an ontology id')

    const json = await sandbox.run(['check-compat', '--dataset', 'bad-dataset.yaml', '--model', 'model.json', '--json'])
    expect(json.code).toBe(2)
    expect(json.stdout).toBe('')
    const { error } = JSON.parse(json.stderr) as { error: { code: string; issues: Array<{ code: string; path: string }> } }
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.issues.map((i) => `${i.path} ${i.code}`)).toEqual(['specs/0/organism UNKNOWN_ORGANISM', 'specs/0/semantic INVALID_CURIE'])
  })

  it('exits 2 on a missing file, and reports several bad files together', async () => {
    const missing = await sandbox.run(['check-compat', '--dataset', 'nope.yaml', '--model', 'model.json'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^error INVALID_INPUT: cannot read dataset spec nope\.yaml: ENOENT/)

    await write('bomb.yaml', `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nname: *c\n`)
    const both = await sandbox.run(['check-compat', '--dataset', 'nope.yaml', '--model', 'bomb.yaml', '--task', 'task.yaml', '--json'])
    expect(both.code).toBe(2)
    const { error } = JSON.parse(both.stderr) as { error: { message: string; issues: Array<{ code: string; path: string }> } }
    expect(error.message).toMatch(/^2 spec files are invalid \(--dataset nope\.yaml, --model bomb\.yaml\)/)
    expect(error.issues.map((i) => `${i.path} ${i.code}`)).toEqual(['dataset INVALID_INPUT', 'model YAML_ALIASES'])
  })

  it('exits 2 with usage when --dataset or --model is missing', async () => {
    const r = await sandbox.run(['check-compat', '--dataset', 'dataset.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error USAGE: --model is required\n\nUsage: assets check-compat/)
  })

  it('has --help and is listed in the general help', async () => {
    const help = await sandbox.run(['check-compat', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: assets check-compat \[options\]/)
    expect(help.stdout).toContain('--machine <file>')
    const general = await sandbox.run(['--help'])
    expect(general.stdout).toContain('  check-compat')
  })
})
