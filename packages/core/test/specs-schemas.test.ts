import { describe, expect, it } from 'vitest'
import {
  type SpecKind,
  parseSpec,
  specKey,
  ValidationError,
  type ValidationIssue,
  InvalidInputError,
  matchKey,
} from '../src/index.js'
import { rawFixture } from './fixtures/specs/spec-fixtures.js'

/** The issues parseSpec throws for `value`; fails the test when it does not throw. */
function issuesOf(kind: SpecKind, value: unknown): ValidationIssue[] {
  try {
    parseSpec(kind, value)
  } catch (error) {
    expect(ValidationError.isInstance(error)).toBe(true)
    return (error as ValidationError).issues
  }
  throw new Error(`parseSpec(${kind}) accepted ${JSON.stringify(value)}`)
}

const rnaSpec = () => ({ name: 'RNA Expression Data', modality: 'rna', semantic: 'EDAM:1234' })
const examples: Record<Exclude<SpecKind, 'io'>, () => Record<string, unknown>> = {
  dataset: () => rawFixture('dataset.yaml'),
  model: () => rawFixture('model.yaml'),
  task: () => rawFixture('task.yaml'),
  metric: () => (rawFixture('task.yaml').metrics as Array<Record<string, unknown>>)[0]!,
  machine: () => rawFixture('machine-a100.yaml'),
}

describe('the reference examples', () => {
  it('an InputOutputSpec with only name, modality and semantic gets the draft defaults', () => {
    const spec = parseSpec('io', rnaSpec())
    expect(spec).toEqual({ ...rnaSpec(), version: '1.0.0', formats: ['h5ad'], encodings: ['dense'] })
    expect(specKey(spec)).toBe('h5ad:rna:EDAM:1234:1.0.0')
    expect(matchKey(spec)).toBe('rna:EDAM:1234:1.0.0')
  })

  it('the key takes the preferred (first) format, separated by a colon', () => {
    expect(specKey(parseSpec('io', { ...rnaSpec(), formats: ['zarr', 'h5ad'], version: '2.1.0' }))).toBe('zarr:rna:EDAM:1234:2.1.0')
  })

  it('accepts the ontology ids the reference names (GO, EDAM, OBI, CL)', () => {
    for (const semantic of ['GO:0008150', 'EDAM:1234', 'EDAM:data_0006', 'OBI:0000070', 'CL:0000236']) {
      expect(parseSpec('io', { ...rnaSpec(), semantic }).semantic).toBe(semantic)
    }
  })

  it.each(Object.keys(examples) as Array<keyof typeof examples>)('accepts the %s example', (kind) => {
    expect(() => parseSpec(kind, examples[kind]())).not.toThrow()
  })

  it('fills defaults: axis kind, provenance source, the whole Resource, metric range, empty input lists', () => {
    const dataset = parseSpec('dataset', examples.dataset())
    expect(dataset.specs[0]!.axes).toEqual([
      { name: 'cells', kind: 'custom' },
      { name: 'genes', kind: 'custom' },
    ])
    expect(parseSpec('dataset', { name: 'd', specs: [], provenance: {} }).provenance).toEqual({ source: 'external' })
    const model = parseSpec('model', { name: 'm', version: '1.0.0', outputs: [] })
    expect(model.compute).toEqual({ use_gpu: false, gpu_count: 1, multi_gpu: false, cpu_cores: 4, ram_mb: 8192, disk_mb: 10240 })
    expect(model.required_inputs).toEqual([])
    expect(model.optional_inputs).toEqual([])
    expect(parseSpec('metric', { name: 'x', category: 'c', impl: 'm:f', inputs: [] }).range).toEqual([0, 1])
  })

  it('a GPU model need not name a GPU type (the draft required it yet defaulted the object)', () => {
    const model = parseSpec('model', { name: 'm', version: '1', outputs: [], compute: { use_gpu: true, gpu_min_memory: 16000 } })
    expect(model.compute).toMatchObject({ use_gpu: true, gpu_min_memory: 16000, gpu_count: 1 })
    expect(model.compute?.gpu_type).toBeUndefined()
  })

  it('does not modify its input', () => {
    const input = examples.dataset()
    const before = JSON.stringify(input)
    parseSpec('dataset', input)
    expect(JSON.stringify(input)).toBe(before)
  })

  it('accepts a Date for created_at and stores it as an ISO string', () => {
    const d = parseSpec('dataset', { name: 'd', specs: [], created_at: new Date('2025-03-01T00:00:00Z') })
    expect(d.created_at).toBe('2025-03-01T00:00:00.000Z')
  })

  it('keeps free metadata and unknown task context fields as given', () => {
    const task = parseSpec('task', examples.task())
    expect(task.context).toMatchObject({ tissue: 'blood', assay: "10x 3' v2" })
    expect(parseSpec('dataset', examples.dataset()).metadata).toEqual({ tissue: 'liver' })
  })
})

describe('unknown fields', () => {
  const cases: Array<[SpecKind, (v: Record<string, unknown>) => void, string]> = [
    ['io', (v) => Object.assign(v, { colour: 'red' }), 'colour'],
    ['dataset', (v) => Object.assign(v, { specifications: [] }), 'specifications'],
    ['dataset', (v) => Object.assign((v.specs as Array<Record<string, unknown>>)[1]!, { key: 'x' }), 'specs/1/key'],
    ['dataset', (v) => Object.assign((v.specs as Array<Record<string, unknown>>)[1]!.axes as object, { 0: { name: 'cells', length: 3 } }), 'specs/1/axes/0/length'],
    ['dataset', (v) => Object.assign(v.provenance as object, { publisher: 'x' }), 'provenance/publisher'],
    ['model', (v) => Object.assign(v, { supported_inputs: [] }), 'supported_inputs'],
    ['model', (v) => Object.assign(v.compute as object, { gpu: true }), 'compute/gpu'],
    ['task', (v) => Object.assign(v.reference_schema as object, { label: 'x' }), 'reference_schema/label'],
    ['task', (v) => Object.assign((v.metrics as Array<Record<string, unknown>>)[0]!, { weight: 2 }), 'metrics/0/weight'],
    ['metric', (v) => Object.assign(v, { higher_is_better: true }), 'higher_is_better'],
    ['machine', (v) => Object.assign((v.gpus as Array<Record<string, unknown>>)[0]!, { vram: 1 }), 'gpus/0/vram'],
  ]
  it.each(cases)('a %s spec refuses an unknown field, naming its path', (kind, change, path) => {
    const value = kind === 'io' ? rnaSpec() : examples[kind]()
    change(value)
    const issues = issuesOf(kind, value)
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({ code: 'UNKNOWN_FIELD', path })
  })

  it('suggests the field that was probably meant', () => {
    const [issue] = issuesOf('io', { ...rnaSpec(), formts: ['h5ad'] })
    expect(issue!.message).toContain('did you mean "formats"?')
  })
})

describe('every problem at once', () => {
  it('reports each broken field of a dataset with its own path and code, not just the first', () => {
    const dataset = examples.dataset()
    const specs = dataset.specs as Array<Record<string, unknown>>
    delete dataset.name
    Object.assign(specs[0]!, { semantic: 'cluster_labels', organism: 'martian', formats: 'h5ad' })
    Object.assign(specs[1]!, { modality: 7, axes: [{ name: 'cells', kind: 'cells', size: -1 }] })
    specs.push({ ...specs[2]! })
    Object.assign(dataset, { checksum: 'md5:abc', created_at: 'last tuesday', extra: true })
    Object.assign(dataset.provenance as object, { source: 'vendor', url: 'ftp://example.org/x' })
    const issues = issuesOf('dataset', dataset)
    expect(issues.map((i) => `${i.path} ${i.code}`).sort()).toEqual(
      [
        'name REQUIRED',
        'extra UNKNOWN_FIELD',
        'checksum INVALID_CHECKSUM',
        'created_at INVALID_DATE',
        'provenance/source INVALID_ENUM',
        'provenance/url INVALID_URL',
        'specs/0/semantic INVALID_CURIE',
        'specs/0/organism UNKNOWN_ORGANISM',
        'specs/0/formats INVALID_TYPE',
        'specs/1/modality INVALID_TYPE',
        'specs/1/axes/0/kind INVALID_ENUM',
        'specs/1/axes/0/size OUT_OF_RANGE',
        'specs/3 DUPLICATE_KEY',
      ].sort(),
    )
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(10)
  })

  it('the error message lists the problems with their paths', () => {
    try {
      parseSpec('io', { name: 'x', modality: 'rna', semantic: 'not-an-id' }, { source: 'x.yaml' })
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).toMatch(/^invalid io spec in x\.yaml \(1 problem\)\n {2}- semantic: .*PREFIX:LOCALID.* \[INVALID_CURIE\]$/)
    }
  })

  it('reports a missing field once, as REQUIRED', () => {
    const issues = issuesOf('io', { name: 'x' })
    expect(issues).toEqual([
      { code: 'REQUIRED', path: 'modality', message: '"modality" is required' },
      { code: 'REQUIRED', path: 'semantic', message: '"semantic" is required' },
    ])
  })

  it('a value that is not a mapping is INVALID_TYPE at the top', () => {
    expect(issuesOf('model', ['a list'])).toEqual([expect.objectContaining({ code: 'INVALID_TYPE', path: '' })])
  })
})

describe('field checks', () => {
  it.each(['cluster_labels', 'GO 0008150', 'GO:', ':0008150', 'http://purl.obolibrary.org/obo/GO_0008150', '1GO:123'])(
    'refuses the invalid ontology id %j as INVALID_CURIE',
    (semantic) => {
      expect(issuesOf('io', { ...rnaSpec(), semantic })).toEqual([expect.objectContaining({ code: 'INVALID_CURIE', path: 'semantic' })])
    },
  )

  it('a checksum must be sha256:<64 hex>', () => {
    const ok = `sha256:${'ab'.repeat(32)}`
    expect(parseSpec('dataset', { name: 'd', specs: [], checksum: ok }).checksum).toBe(ok)
    for (const checksum of ['ab'.repeat(32), `sha256:${'ab'.repeat(31)}`, `md5:${'ab'.repeat(8)}`, `sha256:${'zz'.repeat(32)}`]) {
      expect(issuesOf('dataset', { name: 'd', specs: [], checksum })).toEqual([expect.objectContaining({ code: 'INVALID_CHECKSUM', path: 'checksum' })])
    }
  })

  it('specs in a dataset are unique by key, and the same slot in another preferred format is allowed', () => {
    const a = { ...rnaSpec(), formats: ['h5ad'] }
    expect(issuesOf('dataset', { name: 'd', specs: [a, { ...a, name: 'again' }] })).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_KEY', path: 'specs/1', message: expect.stringContaining('h5ad:rna:EDAM:1234:1.0.0') }),
    ])
    // Version defaults count: "1.0.0" written out is the same key as no version.
    expect(issuesOf('dataset', { name: 'd', specs: [a, { ...a, version: '1.0.0' }] })[0]!.code).toBe('DUPLICATE_KEY')
    expect(parseSpec('dataset', { name: 'd', specs: [a, { ...a, formats: ['zarr'] }] }).specs).toHaveLength(2)
  })

  it('enums list what is allowed', () => {
    const [issue] = issuesOf('task', { ...examples.task(), goal: 'segmentation' })
    expect(issue).toMatchObject({ code: 'INVALID_ENUM', path: 'goal' })
    expect(issue!.message).toContain('clustering, classification, dimensionality_reduction, perturbation, spatial_registration, custom')
  })

  it('validator and impl must be module:function references', () => {
    expect(issuesOf('io', { ...rnaSpec(), validator: 'check_counts' })).toEqual([expect.objectContaining({ code: 'INVALID_REFERENCE', path: 'validator' })])
    expect(issuesOf('metric', { ...examples.metric(), impl: 'ari' })).toEqual([expect.objectContaining({ code: 'INVALID_REFERENCE', path: 'impl' })])
  })

  it('a metric range runs low to high and its threshold lies inside it', () => {
    expect(issuesOf('metric', { ...examples.metric(), range: [1, 0] })).toEqual([expect.objectContaining({ code: 'INVALID_RANGE', path: 'range' })])
    expect(issuesOf('metric', { ...examples.metric(), range: [0, 1], threshold: 2 })).toEqual([expect.objectContaining({ code: 'INVALID_RANGE', path: 'threshold' })])
    // A short range is reported, never padded from the default.
    expect(issuesOf('metric', { ...examples.metric(), range: [0.5] })).toEqual([expect.objectContaining({ code: 'INVALID_TYPE', path: 'range/1' })])
    expect(issuesOf('metric', { ...examples.metric(), range: 1 })).toEqual([expect.objectContaining({ code: 'INVALID_TYPE', path: 'range' })])
  })

  it('formats and encodings are non-empty lists of distinct names without colons', () => {
    expect(issuesOf('io', { ...rnaSpec(), formats: [] })).toEqual([expect.objectContaining({ code: 'EMPTY', path: 'formats' })])
    expect(issuesOf('io', { ...rnaSpec(), formats: ['h5ad', 'h5ad'] })).toEqual([expect.objectContaining({ code: 'DUPLICATE_ITEM', path: 'formats' })])
    expect(issuesOf('io', { ...rnaSpec(), encodings: ['csr:x'] })).toEqual([expect.objectContaining({ code: 'INVALID_FORMAT', path: 'encodings/0' })])
  })

  it('Resource numbers are whole and positive', () => {
    const issues = issuesOf('model', { name: 'm', version: '1', outputs: [], compute: { cpu_cores: 0, ram_mb: 1.5, gpu_compute_capability: 'ampere' } })
    expect(issues.map((i) => `${i.path} ${i.code}`)).toEqual(['compute/cpu_cores OUT_OF_RANGE', 'compute/gpu_compute_capability INVALID_FORMAT', 'compute/ram_mb INVALID_TYPE'])
  })

  it('an unknown kind is a programming error, not a validation failure', () => {
    expect(() => parseSpec('pipeline' as SpecKind, {})).toThrow(InvalidInputError)
  })
})
