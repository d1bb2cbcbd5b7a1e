import { describe, expect, it } from 'vitest'
import {
  type CompatibilityIssue,
  CompatibilityChecker,
  checkCompatibility,
  type DatasetSpec,
  isCompatible,
  type MachineDescription,
  type ModelSpec,
  parseSpec,
  type TaskSpec,
} from '../src/index.js'
import { rawFixture } from './fixtures/specs/spec-fixtures.js'

type Raw = Record<string, unknown>
type RawTrio = { dataset: Raw; model: Raw; task: Raw }
const list = (v: unknown) => v as Raw[]

/** The compatible trio of fixtures, after `change` edits their raw data. */
function trio(change: (t: RawTrio) => void = () => {}): { dataset: DatasetSpec; model: ModelSpec; task: TaskSpec } {
  const raw = { dataset: rawFixture('dataset.yaml'), model: rawFixture('model.yaml'), task: rawFixture('task.yaml') }
  change(raw)
  return { dataset: parseSpec('dataset', raw.dataset), model: parseSpec('model', raw.model), task: parseSpec('task', raw.task) }
}

function issuesFor(change: (t: RawTrio) => void, machine?: MachineDescription): CompatibilityIssue[] {
  const { dataset, model, task } = trio(change)
  return checkCompatibility(dataset, model, task, { machine })
}

const codes = (issues: CompatibilityIssue[]) => issues.map((i) => `${i.who} ${i.code} ${i.severity}`)
const machine = (name: string) => parseSpec('machine', rawFixture(name))

describe('a compatible trio', () => {
  it('produces no issues, with or without the task, and on a machine that meets the compute needs', () => {
    const { dataset, model, task } = trio()
    expect(checkCompatibility(dataset, model, task)).toEqual([])
    expect(checkCompatibility(dataset, model)).toEqual([])
    expect(new CompatibilityChecker({ machine: machine('machine-a100.yaml') }).check(dataset, model, task)).toEqual([])
  })

  it('a slot offered in several formats meets a reader of any one of them', () => {
    // The dataset offers h5ad and csv; a model reading only csv still finds it.
    expect(issuesFor((t) => Object.assign(list(t.model.required_inputs)[0]!, { formats: ['csv'] }))).toEqual([])
  })

  it('specs built by hand, without the defaults parseSpec fills, match the same way', () => {
    const slot = { name: 'x', modality: 'rna', semantic: 'GO:0008150' }
    const dataset: DatasetSpec = { name: 'd', specs: [{ ...slot, organism: 'human' }] }
    const model: ModelSpec = { name: 'm', version: '1', required_inputs: [{ ...slot, formats: ['h5ad'], version: '1.0.0', organism: 'NCBITaxon:9606' }], outputs: [] }
    expect(checkCompatibility(dataset, model)).toEqual([])
  })
})

describe('each check', () => {
  it('MISSING_INPUT: a required model input the dataset lacks', () => {
    const issues = issuesFor((t) => Object.assign(list(t.model.required_inputs)[0]!, { semantic: 'EDAM:9999' }))
    expect(codes(issues)).toEqual(['dataset MISSING_INPUT error'])
    expect(issues[0]!.message).toBe(
      'Dataset "Single-Cell RNA Dataset" lacks the "RNA Expression Data" slot (rna EDAM:9999 version 1.0.0) that Model "RNA Clustering Model" requires',
    )
  })

  it('MISSING_INPUT: another version of the slot does not count, and the message says which versions exist', () => {
    const issues = issuesFor((t) => Object.assign(list(t.model.required_inputs)[0]!, { version: '2.0.0' }))
    expect(codes(issues)).toEqual(['dataset MISSING_INPUT error'])
    expect(issues[0]!.message).toContain('it has version 1.0.0 of that slot instead')
  })

  it('MISSING_INPUT: the task feeds models a slot the dataset lacks', () => {
    const issues = issuesFor((t) => Object.assign(t.task.input_schema as Raw, { semantic: 'EDAM:4321' }))
    expect(codes(issues)).toEqual(['dataset MISSING_INPUT error'])
    expect(issues[0]!.message).toContain('task "Cell Clustering" gives models as input')
  })

  it('FORMAT_MISMATCH: the input is there, but in no format the model reads', () => {
    const issues = issuesFor((t) => Object.assign(list(t.model.required_inputs)[0]!, { formats: ['zarr', 'loom'] }))
    expect(codes(issues)).toEqual(['dataset FORMAT_MISMATCH error'])
    expect(issues[0]!.message).toBe(
      'Dataset "Single-Cell RNA Dataset" has the "RNA Expression Data" slot (rna EDAM:1234 version 1.0.0) only as h5ad, csv, but Model "RNA Clustering Model" reads zarr, loom',
    )
  })

  it('FORMAT_MISMATCH: the model emits the prediction in a format the task cannot read', () => {
    const issues = issuesFor((t) => Object.assign(list(t.model.outputs)[0]!, { formats: ['csv'] }))
    expect(codes(issues)).toEqual(['model FORMAT_MISMATCH error'])
  })

  it('FORMAT_MISMATCH: the reference is there in a format the task cannot read', () => {
    const issues = issuesFor((t) => Object.assign(list(t.dataset.specs)[1]!, { formats: ['csv'] }))
    expect(codes(issues)).toEqual(['dataset FORMAT_MISMATCH error'])
    expect(issues[0]!.message).toContain('"Cell Type Labels"')
  })

  it('MISSING_OUTPUT: the model does not emit the prediction the task scores', () => {
    const issues = issuesFor((t) => Object.assign(list(t.model.outputs)[0]!, { semantic: 'EDAM:operation_0000' }))
    expect(codes(issues)).toEqual(['model MISSING_OUTPUT error'])
    expect(issues[0]!.message).toContain('does not emit the "Cluster Labels" slot (rna EDAM:operation_3432 version 1.0.0)')
  })

  it('MISSING_REFERENCE: the dataset lacks the ground truth the task compares against', () => {
    const issues = issuesFor((t) => list(t.dataset.specs).splice(1, 1))
    expect(codes(issues)).toEqual(['dataset MISSING_REFERENCE error'])
    expect(issues[0]!.message).toContain('"Cell Type Labels"')
  })

  it('METRIC_INPUT: a metric reads a slot that is neither prediction nor reference, and names it', () => {
    const extra = { name: 'Cell Embeddings', modality: 'rna', semantic: 'EDAM:data_2968', formats: ['ndarray'] }
    const issues = issuesFor((t) => list(list(t.task.metrics)[0]!.inputs).push(extra))
    expect(codes(issues)).toEqual(['metric METRIC_INPUT error'])
    expect(issues[0]!.message).toContain('Metric "adjusted_rand_index" of task "Cell Clustering" reads "Cell Embeddings" (ndarray:rna:EDAM:data_2968:1.0.0)')
    expect(issues[0]!.message).not.toContain('"Cluster Labels" (')
  })

  it('ORGANISM_MISMATCH: the dataset slot is mouse data, the model input human', () => {
    const issues = issuesFor((t) => Object.assign(list(t.dataset.specs)[0]!, { organism: 'mus_musculus' }))
    expect(codes(issues)).toContain('dataset ORGANISM_MISMATCH error')
    const pair = issues.find((i) => i.message.includes('Model "RNA Clustering Model" input'))!
    expect(pair.message).toBe(
      'Dataset "Single-Cell RNA Dataset" "RNA Expression Data" is for mus_musculus (NCBITaxon:10090), but Model "RNA Clustering Model" input "RNA Expression Data" is for homo_sapiens (NCBITaxon:9606)',
    )
  })

  it('ORGANISM_MISMATCH: the task is about another organism than the dataset and the model', () => {
    const issues = issuesFor((t) => Object.assign(t.task.context as Raw, { organism: 'MOUSE' }))
    expect(codes(issues).sort()).toEqual(['dataset ORGANISM_MISMATCH error', 'model ORGANISM_MISMATCH error'])
    for (const issue of issues) expect(issue.message).toContain('but task "Cell Clustering" is about mus_musculus (NCBITaxon:10090)')
  })

  it('OPTIONAL_INPUT_MISSING: only a warning, so the trio stays compatible', () => {
    const issues = issuesFor((t) => list(t.dataset.specs).splice(2, 1))
    expect(codes(issues)).toEqual(['dataset OPTIONAL_INPUT_MISSING warning'])
    expect(issues[0]!.message).toContain('"Batch Labels"')
    expect(isCompatible(issues)).toBe(true)
  })

  it('an optional input in a format the model cannot read is a FORMAT_MISMATCH warning, not an error', () => {
    const issues = issuesFor((t) => Object.assign(list(t.model.optional_inputs)[0]!, { formats: ['parquet'] }))
    expect(codes(issues)).toEqual(['dataset FORMAT_MISMATCH warning'])
    expect(issues[0]!.message).toContain('but Model "RNA Clustering Model" (an optional input) reads parquet')
    expect(isCompatible(issues)).toBe(true)
  })

  it('UNSUPPORTED_TASK: the model lists the tasks it supports and this is not one (names compare case-insensitively)', () => {
    expect(issuesFor((t) => Object.assign(t.model, { supported_tasks: ['CELL CLUSTERING'] }))).toEqual([])
    const issues = issuesFor((t) => Object.assign(t.model, { supported_tasks: ['Cell Type Annotation'] }))
    expect(codes(issues)).toEqual(['model UNSUPPORTED_TASK error'])
    expect(issues[0]!.message).toContain('(Cell Type Annotation)')
  })

  it('UNSUPPORTED_METRIC: a warning when the model lists its metrics and this is not one', () => {
    const issues = issuesFor((t) => Object.assign(t.model, { supported_metrics: ['silhouette_score'] }))
    expect(codes(issues)).toEqual(['metric UNSUPPORTED_METRIC warning'])
  })
})

describe('RESOURCE_UNMET', () => {
  const check = (m: MachineDescription, change: (t: RawTrio) => void = () => {}) => issuesFor(change, m)

  it('a GPU model on a machine without a GPU', () => {
    const issues = check(machine('machine-cpu-only.yaml'))
    expect(codes(issues)).toEqual(['model RESOURCE_UNMET error'])
    expect(issues[0]!.message).toContain('needs 1 GPU of type A100, with at least 40000 MB, compute capability 8.0 or higher, supporting fp8; the machine has no GPU')
  })

  it('a GPU with too little memory, an older compute capability and a missing feature, each named', () => {
    const t4 = { type: 'Tesla T4', memory_mb: 16384, compute_capability: '7.5', features: [] }
    const issues = check({ gpus: [t4], cpu_cores: 64, ram_mb: 65536, disk_mb: 100000 }, (t) => {
      Object.assign(t.model.compute as Raw, { gpu_type: undefined })
      delete (t.model.compute as Raw).gpu_type
    })
    expect(codes(issues)).toEqual(['model RESOURCE_UNMET error'])
    expect(issues[0]!.message).toContain('GPU 0 (Tesla T4) has only 16384 MB, has compute capability 7.5, lacks fp8')
  })

  it('the right GPU type with too little memory', () => {
    const small = { type: 'NVIDIA A100-PCIE-40GB', memory_mb: 39000, compute_capability: '8.0', features: ['fp8'] }
    expect(codes(check({ gpus: [small], cpu_cores: 64, ram_mb: 65536, disk_mb: 100000 }))).toEqual(['model RESOURCE_UNMET error'])
    expect(check({ gpus: [{ ...small, memory_mb: 40960 }], cpu_cores: 64, ram_mb: 65536, disk_mb: 100000 })).toEqual([])
  })

  it('a GPU type matches by whole words: an A10 is not an A100', () => {
    const a10 = { type: 'NVIDIA A10', memory_mb: 81920, compute_capability: '8.6', features: ['fp8'] }
    const issues = check({ gpus: [a10], cpu_cores: 64, ram_mb: 65536, disk_mb: 100000 })
    expect(issues[0]!.message).toContain('GPU 0 (NVIDIA A10) is not of type A100')
  })

  it('more GPUs than the machine has', () => {
    const a100 = machine('machine-a100.yaml')
    const issues = check(a100, (t) => Object.assign(t.model.compute as Raw, { gpu_count: 2, multi_gpu: true }))
    expect(codes(issues)).toEqual(['model RESOURCE_UNMET error'])
    expect(issues[0]!.message).toContain('needs 2 GPUs')
    expect(issues[0]!.message).toContain('the machine has 1 such GPU')
  })

  it('too few cores, too little RAM and disk: one issue each', () => {
    const issues = check({ ...machine('machine-a100.yaml'), cpu_cores: 2, ram_mb: 1024, disk_mb: 10 })
    expect(issues.map((i) => i.message.replace(/^Model "RNA Clustering Model" /, ''))).toEqual([
      'needs 8 CPU cores; the machine has 2',
      'needs 32768 MB of RAM; the machine has 1024',
      'needs 20000 MB of free disk; the machine has 10',
    ])
  })

  it('a CPU-only model with default needs fits a machine with 4 cores and 8 GiB', () => {
    const issues = check({ cpu_cores: 4, ram_mb: 8192, disk_mb: 10240 }, (t) => delete t.model.compute)
    expect(issues).toEqual([])
    expect(codes(check({ cpu_cores: 2, ram_mb: 8192, disk_mb: 10240 }, (t) => delete t.model.compute))).toEqual(['model RESOURCE_UNMET error'])
  })

  it('is not checked without a machine description', () => {
    const { dataset, model } = trio()
    expect(checkCompatibility(dataset, model)).toEqual([])
  })
})

describe('isCompatible', () => {
  it('is false with any error and true with warnings only', () => {
    const warning: CompatibilityIssue = { who: 'dataset', code: 'OPTIONAL_INPUT_MISSING', severity: 'warning', message: 'w' }
    const error: CompatibilityIssue = { who: 'model', code: 'MISSING_OUTPUT', severity: 'error', message: 'e' }
    expect(isCompatible([])).toBe(true)
    expect(isCompatible([warning])).toBe(true)
    expect(isCompatible([warning, error])).toBe(false)
  })
})
