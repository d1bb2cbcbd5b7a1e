import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidInputError, loadSpecFile, MAX_SPEC_FILE_BYTES, parseSpecText, ValidationError, type ValidationIssue } from '../src/index.js'
import { specFixture } from './fixtures/specs/spec-fixtures.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assets-specs-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function written(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

async function loadIssues(promise: Promise<unknown>): Promise<ValidationIssue[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(ValidationError.isInstance(error), String(error)).toBe(true)
  return (error as ValidationError).issues
}

const IO_YAML = 'name: io\nmodality: rna\nsemantic: "GO:0008150"\n'

describe('loadSpecFile', () => {
  it('reads a YAML dataset and its JSON twin to the same spec', async () => {
    const fromYaml = await loadSpecFile('dataset', specFixture('dataset.yaml'))
    const fromJson = await loadSpecFile('dataset', specFixture('dataset.json'))
    expect(fromJson).toEqual(fromYaml)
    expect(fromYaml.name).toBe('Single-Cell RNA Dataset')
    expect(fromYaml.specs.map((s) => s.organism)).toEqual(['NCBITaxon:9606', 'NCBITaxon:9606', undefined])
    // YAML's core schema: an unquoted time stays the string that was written.
    expect(fromYaml.created_at).toBe('2025-01-31T12:00:00Z')
  })

  it('reads every kind from its fixture', async () => {
    expect((await loadSpecFile('model', specFixture('model.yaml'))).compute?.gpu_type).toBe('A100')
    expect((await loadSpecFile('task', specFixture('task.yaml'))).metrics).toHaveLength(1)
    expect((await loadSpecFile('metric', specFixture('metric.json'))).range).toEqual([0, 1])
    expect((await loadSpecFile('io', specFixture('io.json'))).organism).toBe('NCBITaxon:10090')
    expect((await loadSpecFile('machine', specFixture('machine-a100.yaml'))).gpus?.[0]?.memory_mb).toBe(81920)
  })

  it('tells JSON from YAML by content when the extension says neither', async () => {
    expect((await loadSpecFile('io', await written('io.spec', IO_YAML))).name).toBe('io')
    expect((await loadSpecFile('io', await written('io2.spec', ' {"name":"j","modality":"rna","semantic":"GO:1"}'))).name).toBe('j')
  })

  it('names the file in the message and reports schema problems with their paths', async () => {
    const path = await written('bad.yaml', 'name: io\nmodality: rna\nsemantic: cluster_labels\nformat: h5ad\n')
    const error = await loadSpecFile('io', path).catch((e: unknown) => e)
    expect((error as Error).message).toContain(`invalid io spec in ${path} (2 problems)`)
    expect((error as ValidationError).issues.map((i) => `${i.path} ${i.code}`)).toEqual(['format UNKNOWN_FIELD', 'semantic INVALID_CURIE'])
  })

  it('a missing file or a folder is an InvalidInputError naming it', async () => {
    await expect(loadSpecFile('dataset', join(dir, 'absent.yaml'))).rejects.toThrow(InvalidInputError)
    await expect(loadSpecFile('dataset', join(dir, 'absent.yaml'))).rejects.toThrow(/absent\.yaml: ENOENT/)
    await expect(loadSpecFile('dataset', dir)).rejects.toThrow(/not a file/)
  })

  it('refuses a file over the size limit before parsing it', async () => {
    const path = await written('huge.yaml', `${IO_YAML}description: "${'x'.repeat(MAX_SPEC_FILE_BYTES)}"\n`)
    expect(await loadIssues(loadSpecFile('io', path))).toEqual([expect.objectContaining({ code: 'TOO_LARGE', path: '' })])
  })

  it('malformed JSON and YAML are reported as such, with the line for YAML', async () => {
    expect(await loadIssues(loadSpecFile('io', await written('bad.json', '{"name": "x",')))).toEqual([expect.objectContaining({ code: 'INVALID_JSON' })])
    const [issue] = await loadIssues(loadSpecFile('io', await written('bad2.yaml', 'name: [a\nmodality: rna\n')))
    expect(issue).toMatchObject({ code: 'INVALID_YAML', message: expect.stringMatching(/at line \d+, column \d+/) })
  })

  it('a key written twice in YAML is an error, not a silent overwrite', async () => {
    const issues = await loadIssues(loadSpecFile('io', await written('twice.yaml', `${IO_YAML}semantic: "GO:1"\n`)))
    expect(issues[0]).toMatchObject({ code: 'INVALID_YAML', message: expect.stringContaining('unique') })
  })
})

describe('hostile YAML', () => {
  it('refuses a billion-laughs alias bomb quickly', async () => {
    const started = Date.now()
    const issues = await loadIssues(loadSpecFile('io', specFixture('billion-laughs.yaml')))
    expect(issues).toEqual([expect.objectContaining({ code: 'YAML_ALIASES', path: '' })])
    // A generous bound: expanding the bomb would take minutes and gigabytes.
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('allows a few aliases for shared blocks', async () => {
    const text = 'name: io\nmodality: &m rna\nsemantic: "GO:0008150"\naxes:\n  - &cells {name: cells, kind: sample}\nformats: [h5ad]\ndescription: *m\n'
    expect(parseSpecText('io', text)).toMatchObject({ description: 'rna', axes: [{ name: 'cells', kind: 'sample' }] })
  })

  it('refuses a !!js/function tag instead of reading it as a string', async () => {
    const issues = await loadIssues(loadSpecFile('io', specFixture('custom-tag.yaml')))
    expect(issues).toEqual([expect.objectContaining({ code: 'YAML_TAG', message: expect.stringContaining('js/function') })])
  })

  it.each(['!custom x', '!!binary aGVsbG8=', '!!set {a}', '!<tag:example.com,2000:app/foo> x'])('refuses the tag in "description: %s"', (value) => {
    expect(() => parseSpecText('io', `${IO_YAML}description: ${value}\n`)).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ code: 'YAML_TAG' })] }))
  })

  it('accepts the core tags (!!str) that only say what YAML would infer anyway', () => {
    expect(parseSpecText('io', `${IO_YAML}version: !!str 2\n`).version).toBe('2')
  })

  it('a __proto__ key stays a field and is refused as unknown', () => {
    expect(() => parseSpecText('io', `${IO_YAML}__proto__: {polluted: true}\n`)).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ code: 'UNKNOWN_FIELD', path: '__proto__' })] }),
    )
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
