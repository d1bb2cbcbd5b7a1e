import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

// One catalogue for the whole file: the tests below build on each other in order, as a user would.
let s: Sandbox
const me = `user:${userInfo().username}`
const DATA = 'cell,gene_a,gene_b\nc1,1,0\nc2,3,4\nc3,0,2\n'
const DATA_2 = `${DATA}c4,5,5\n`

interface Record_ {
  key: string
  version: string
  kind: string
  type: string
  digest: string
  size: number
  fileCount: number
  created?: boolean
  description?: string
  metadata: Record<string, unknown>
  provenance?: Record<string, unknown>
  specs?: unknown
  declarativeSchema?: unknown
  relationships: Array<{ relation: string; key: string; version: string }>
  accessControl: { owner: string; read: string[]; write: string[]; admin: string[] }
  createdBy: string
  createdAt: string
  expiresAt?: string
  deletedAt?: string
  tags?: string[]
}

const sha256 = (text: string | Buffer) => `sha256:${createHash('sha256').update(text).digest('hex')}`

beforeAll(async () => {
  s = await Sandbox.create('assets')
  await writeFile(s.path('cells.csv'), DATA)
  await writeFile(s.path('cells-2.csv'), DATA_2)
  await writeFile(s.path('meta.yaml'), 'organism: human\nstats:\n  n_cells: 3\n  tissue: blood\nlabels: [t, b]\n')
  await writeFile(s.path('spec.yaml'), 'name: cells\nspecs:\n  - name: counts\n    modality: rna\n    semantic: EDAM:3917\n    formats: [csv]\n')
  await writeFile(s.path('bad-spec.yaml'), 'inputs:\n  - name: counts\n    type: csv\n')
  await writeFile(s.path('schema.json'), JSON.stringify({ columns: ['cell', 'gene_a', 'gene_b'] }))
  await writeFile(s.path('provenance.yaml'), 'author: Ada\nlicense: CC-BY-4.0\ndoi: 10.1000/xyz\n')
  await mkdir(s.path('model'), { recursive: true })
  await writeFile(s.path('model', 'config.json'), '{"layers": 2}\n')
  await writeFile(s.path('model', 'weights.bin'), Buffer.alloc(4096, 7))
  await writeFile(s.path('metrics.json'), '{"accuracy": 0.9}\n')
})
afterAll(() => s.cleanup())

describe('put', () => {
  it('stores a file with metadata, specs, schema, provenance, tags and a description', async () => {
    const r = await s.json<Record_>([
      'put', 'datasets/cells', 'cells.csv', '--kind', 'dataset', '--meta-file', 'meta.yaml', '--meta', 'n_genes=2',
      '--meta', 'stats.n_cells=3', '--meta', 'batch=007', '--meta', 'qc:=true', '--spec', 'spec.yaml', '--schema', 'schema.json',
      '--provenance', 'provenance.yaml', '--tag', 'gold', '--description', 'three cells, two genes', '--version', 'v1.0.0',
    ])
    expect(r).toMatchObject({
      key: 'datasets/cells',
      version: '1.0.0',
      kind: 'dataset',
      type: 'file',
      digest: sha256(DATA),
      size: DATA.length,
      fileCount: 1,
      created: true,
      description: 'three cells, two genes',
      metadata: { organism: 'human', n_genes: 2, batch: '007', qc: true, labels: ['t', 'b'], stats: { n_cells: 3, tissue: 'blood' } },
      provenance: { author: 'Ada', license: 'CC-BY-4.0', doi: '10.1000/xyz' },
      specs: { name: 'cells', specs: [{ name: 'counts', modality: 'rna', semantic: 'EDAM:3917', formats: ['csv'], version: '1.0.0' }] },
      declarativeSchema: { columns: ['cell', 'gene_a', 'gene_b'] },
      relationships: [],
      accessControl: { owner: me, read: ['*'], write: [], admin: [] },
      createdBy: me,
    })
    expect(Date.parse(r.createdAt)).not.toBeNaN()
  })

  it('a dataset spec is checked before anything is stored, every problem listed', async () => {
    const r = await s.run(['put', 'datasets/bad-spec', 'cells.csv', '--kind', 'dataset', '--spec', 'bad-spec.yaml'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/VALIDATION_FAILED/)
    expect(r.stderr).toMatch(/unknown field "inputs"/)
    expect(r.stderr).toMatch(/"name" is required/)
    const versions = await s.run(['versions', 'datasets/bad-spec'])
    expect(versions.code).not.toBe(0)
  })

  it('putting the same bytes and fields again changes nothing', async () => {
    const again = await s.run(['put', 'datasets/cells', 'cells.csv', '--kind', 'dataset', '--meta-file', 'meta.yaml', '--meta', 'n_genes=2',
      '--meta', 'stats.n_cells=3', '--meta', 'batch=007', '--meta', 'qc:=true', '--spec', 'spec.yaml', '--schema', 'schema.json',
      '--provenance', 'provenance.yaml', '--description', 'three cells, two genes'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^unchanged datasets\/cells@1\.0\.0 /)
  })

  it('new content without a version bumps the patch; human output is one line', async () => {
    const r = await s.run(['put', 'datasets/cells', 'cells-2.csv', '--kind', 'dataset', '--meta', 'organism=human', '--meta', 'n_cells=4'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^stored datasets\/cells@1\.0\.1 {2}dataset {2}\d+ B {2}sha256:[0-9a-f]{12}\n$/)
  })

  it('a folder becomes one version with a file count', async () => {
    const r = await s.json<Record_>(['put', 'models/tiny', 'model', '--kind', 'model', '--meta', 'framework=numpy', '--tag', 'candidate'])
    expect(r).toMatchObject({ key: 'models/tiny', version: '1.0.0', kind: 'model', type: 'folder', fileCount: 2, size: 4096 + 14 })
  })

  it('--relate links exact versions (a tag is resolved at put time) and --expires sets the expiry', async () => {
    const before = Date.now()
    const r = await s.json<Record_>([
      'put', 'outputs/run-1', 'metrics.json', '--kind', 'output', '--meta', 'accuracy=0.9',
      '--relate', 'evaluated_on=datasets/cells@1.0.0', '--relate', 'used_model=models/tiny@candidate', '--expires', '7d',
    ])
    expect(r.relationships).toEqual([
      { relation: 'evaluated_on', key: 'datasets/cells', version: '1.0.0' },
      { relation: 'used_model', key: 'models/tiny', version: '1.0.0' },
    ])
    const expires = Date.parse(r.expiresAt ?? '')
    expect(expires - before).toBeGreaterThan(7 * 86_400_000 - 60_000)
    expect(expires - before).toBeLessThan(7 * 86_400_000 + 60_000)
  })

  it('a missing source, a relation to nothing and a version conflict are typed errors', async () => {
    expectFailure(await s.run(['put', 'datasets/x', 'nope.csv']), 'INVALID_INPUT')
    expectFailure(await s.run(['put', 'outputs/x', 'metrics.json', '--relate', 'from=datasets/none@1.0.0']), 'ASSET_NOT_FOUND')
    expectFailure(await s.run(['put', 'datasets/cells', 'metrics.json', '--version', '1.0.0']), 'VERSION_CONFLICT')
    expectFailure(await s.run(['put', 'bad//key', 'metrics.json']), 'INVALID_KEY')
    expectFailure(await s.run(['put', 'datasets/y', 'metrics.json', '--meta-file', 'absent.yaml']), 'INVALID_INPUT')
  })
})

describe('get and cat', () => {
  it('get prints the local path of a verified copy; --json says which version it is', async () => {
    const r = await s.run(['get', 'datasets/cells@gold'])
    expect(r.code).toBe(0)
    expect(await readFile(r.stdout.trim(), 'utf8')).toBe(DATA)
    const doc = await s.json(['get', 'datasets/cells'])
    expect(Object.keys(doc).sort()).toEqual(['digest', 'key', 'kind', 'path', 'size', 'type', 'version'])
    expect(doc).toMatchObject({ key: 'datasets/cells', version: '1.0.1', digest: sha256(DATA_2), size: DATA_2.length })
  })

  it('get --out copies the asset there and prints that path', async () => {
    const r = await s.run(['get', 'models/tiny', '--out', 'copy/model'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(s.path('copy', 'model'))
    expect(await readFile(s.path('copy', 'model', 'config.json'), 'utf8')).toBe('{"layers": 2}\n')
  })

  it('cat streams the bytes; --range a-b includes both ends', async () => {
    expect((await s.run(['cat', 'datasets/cells@1.0.0'])).stdout).toBe(DATA)
    expect((await s.run(['cat', 'datasets/cells@1.0.0', '--range', '0-3'])).stdout).toBe(DATA.slice(0, 4))
    expect((await s.run(['cat', 'datasets/cells@1.0.0', '--range', '5-9'])).stdout).toBe(DATA.slice(5, 10))
    expect((await s.run(['cat', 'datasets/cells@1.0.0', '--range', '30-'])).stdout).toBe(DATA.slice(30))
    expect((await s.run(['cat', 'datasets/cells@1.0.0', '--range=-6'])).stdout).toBe(DATA.slice(-6))
    // Like HTTP, a last byte past the end means "to the end".
    expect((await s.run(['cat', 'datasets/cells@1.0.0', '--range', '30-9999'])).stdout).toBe(DATA.slice(30))
    expectFailure(await s.run(['cat', 'datasets/cells@1.0.0', '--range', '9999-10000']), 'INVALID_INPUT')
  })

  it('cat --path streams one file of a folder', async () => {
    expect((await s.run(['cat', 'models/tiny', '--path', 'config.json'])).stdout).toBe('{"layers": 2}\n')
    expect((await s.run(['cat', 'models/tiny', '--path', 'config.json', '--range', '1-8'])).stdout).toBe('"layers"')
    expectFailure(await s.run(['cat', 'models/tiny']), 'INVALID_INPUT')
    expectFailure(await s.run(['cat', 'models/tiny', '--path', 'nope.txt']), 'ASSET_NOT_FOUND')
  })
})

describe('info, versions, find, ls', () => {
  it('info shows one version with its tags', async () => {
    const doc = await s.json<Record_>(['info', 'datasets/cells@1.0.0'])
    expect(doc).toMatchObject({ key: 'datasets/cells', version: '1.0.0', tags: ['gold'] })
    const latest = await s.json<Record_>(['info', 'datasets/cells'])
    expect(latest.tags).toEqual(['latest'])
    const human = await s.run(['info', 'datasets/cells@gold'])
    expect(human.stdout).toMatch(/^key +datasets\/cells\nversion +1\.0\.0\n/)
    expect(human.stdout).toMatch(/\ntags +gold\n/)
    expect(human.stdout).toMatch(/\nmetadata +organism=human\n/)
  })

  it('versions lists highest first with the tags of each', async () => {
    const doc = await s.json<{ key: string; versions: Record_[] }>(['versions', 'datasets/cells'])
    expect(doc.key).toBe('datasets/cells')
    expect(doc.versions.map((v) => [v.version, v.tags])).toEqual([
      ['1.0.1', ['latest']],
      ['1.0.0', ['gold']],
    ])
    const human = await s.run(['versions', 'datasets/cells'])
    expect(human.stdout.split('\n')[0]).toMatch(/^VERSION +KIND +SIZE +DIGEST +CREATED +BY +TAGS$/)
    expectFailure(await s.run(['versions', 'datasets/none']), 'ASSET_NOT_FOUND')
  })

  it('find --where understands every operator of the readable query language', async () => {
    const keys = async (...args: string[]) =>
      (await s.json<{ items: Record_[]; nextCursor: string | null }>(['find', ...args])).items.map((i) => `${i.key}@${i.version}`).sort()
    expect(await keys('--where', 'organism=human')).toEqual(['datasets/cells@1.0.1'])
    expect(await keys('--where', 'organism=human', '--all-versions')).toEqual(['datasets/cells@1.0.0', 'datasets/cells@1.0.1'])
    expect(await keys('--where', 'n_cells>=4')).toEqual(['datasets/cells@1.0.1'])
    expect(await keys('--where', 'n_cells > 4')).toEqual([])
    expect(await keys('--where', 'n_cells<5', '--where', 'n_cells>3')).toEqual(['datasets/cells@1.0.1'])
    expect(await keys('--where', 'accuracy<=0.9', '--kind', 'output')).toEqual(['outputs/run-1@1.0.0'])
    expect(await keys('--where', 'framework in numpy,torch')).toEqual(['models/tiny@1.0.0'])
    expect(await keys('--where', 'framework exists')).toEqual(['models/tiny@1.0.0'])
    expect(await keys('--where', 'organism !exists', '--prefix', 'datasets/')).toEqual([])
    expect(await keys('--where', 'labels contains b', '--all-versions')).toEqual(['datasets/cells@1.0.0'])
    expect(await keys('--where', 'stats.tissue=blood', '--all-versions')).toEqual(['datasets/cells@1.0.0'])
    expect(await keys('--where', 'batch=007', '--all-versions')).toEqual(['datasets/cells@1.0.0'])
    expect(await keys('--where', 'batch=7', '--all-versions')).toEqual([])
    expect(await keys('--where', 'qc=true', '--all-versions')).toEqual(['datasets/cells@1.0.0'])
    expect(await keys('--where', 'framework!=numpy', '--kind', 'model')).toEqual([])
    expect(await keys('--tag', 'gold', '--all-versions')).toEqual(['datasets/cells@1.0.0'])
    expect(await keys('--text', 'THREE CELLS', '--all-versions')).toEqual(['datasets/cells@1.0.0'])
    expect(await keys('--kind', 'model', '--kind', 'output')).toEqual(['models/tiny@1.0.0', 'outputs/run-1@1.0.0'])
    // 19 runs of the command one after the other (through a server in the `server` project):
    // on a loaded 2-core machine that alone can take a minute.
  }, 180_000)

  it('find pages with --limit and --cursor, and sorts with --sort', async () => {
    const first = await s.json<{ items: Record_[]; nextCursor: string | null }>(['find', '--sort', 'key:asc', '--limit', '2'])
    expect(first.items.map((i) => i.key)).toEqual(['datasets/cells', 'models/tiny'])
    expect(typeof first.nextCursor).toBe('string')
    const second = await s.json<{ items: Record_[]; nextCursor: string | null }>(['find', '--sort', 'key:asc', '--limit', '2', '--cursor', first.nextCursor!])
    expect(second.items.map((i) => i.key)).toEqual(['outputs/run-1'])
    expect(second.nextCursor).toBeNull()
    const desc = await s.json<{ items: Record_[] }>(['find', '--sort', 'key:desc'])
    expect(desc.items.map((i) => i.key)).toEqual(['outputs/run-1', 'models/tiny', 'datasets/cells'])
    const human = await s.run(['find', '--sort', 'key', '--limit', '1'])
    expect(human.stdout).toMatch(/^KEY +VERSION +KIND +NAME +SIZE +CREATED +DESCRIPTION\ndatasets\/cells +1\.0\.1 +dataset +cells-2\.csv /)
    expect(human.stderr).toMatch(/^more results: add --cursor \S+\n$/)
    expectFailure(await s.run(['find', '--sort', 'colour']), 'INVALID_QUERY')
  })

  it('ls lists the latest of every key under a prefix, by key', async () => {
    const doc = await s.json<{ items: Record_[] }>(['ls'])
    expect(doc.items.map((i) => i.key)).toEqual(['datasets/cells', 'models/tiny', 'outputs/run-1'])
    const under = await s.run(['ls', 'models/'])
    expect(under.stdout.trim().split('\n')).toHaveLength(2)
  })
})

describe('tags, annotations, lineage', () => {
  it('tag points a tag at a version and --rm removes it', async () => {
    expect(await s.json(['tag', 'datasets/cells', 'paper-2025', '1.0.0'])).toEqual({ key: 'datasets/cells', tag: 'paper-2025', version: '1.0.0' })
    expect(await s.json(['tag', 'datasets/cells', 'production'])).toEqual({ key: 'datasets/cells', tag: 'production', version: '1.0.1' })
    expect((await s.run(['tag', 'datasets/cells@1.0.0', 'staging'])).stdout).toBe('datasets/cells@staging → 1.0.0\n')
    expect((await s.json<Record_>(['info', 'datasets/cells@paper-2025'])).version).toBe('1.0.0')
    expect(await s.json(['tag', '--rm', 'datasets/cells', 'paper-2025'])).toEqual({ key: 'datasets/cells', tag: 'paper-2025', removed: true })
    expectFailure(await s.run(['info', 'datasets/cells@paper-2025']), 'ASSET_NOT_FOUND')
    expectFailure(await s.run(['tag', 'datasets/cells', 'latest']), 'INVALID_INPUT')
  })

  it('annotate adds a note to a version; annotations lists them', async () => {
    const a = await s.json(['annotate', 'datasets/cells@1.0.0', 'cell', 'types', 're-checked'])
    expect(a).toMatchObject({ key: 'datasets/cells', version: '1.0.0', text: 'cell types re-checked', user: userInfo().username })
    expect(Object.keys(a).sort()).toEqual(['createdAt', 'key', 'text', 'user', 'version'])
    await s.json(['annotate', 'datasets/cells', 'latest is fine'])
    const all = await s.json<{ key: string; annotations: Array<{ version: string; text: string }> }>(['annotations', 'datasets/cells'])
    expect(all.annotations.map((n) => [n.version, n.text]).sort()).toEqual([
      ['1.0.0', 'cell types re-checked'],
      ['1.0.1', 'latest is fine'],
    ])
    const one = await s.json<{ annotations: unknown[] }>(['annotations', 'datasets/cells@1.0.0'])
    expect(one.annotations).toHaveLength(1)
  })

  it('lineage shows edges both ways, or one way with --up / --down, as JSON or a tree', async () => {
    const up = await s.json<{ root: unknown; edges: Array<{ from: unknown; relation: string; to: unknown; depth: number }> }>(['lineage', 'outputs/run-1', '--up'])
    expect(up.root).toEqual({ key: 'outputs/run-1', version: '1.0.0' })
    expect(up.edges).toEqual([
      { from: { key: 'outputs/run-1', version: '1.0.0' }, relation: 'evaluated_on', to: { key: 'datasets/cells', version: '1.0.0' }, depth: 1 },
      { from: { key: 'outputs/run-1', version: '1.0.0' }, relation: 'used_model', to: { key: 'models/tiny', version: '1.0.0' }, depth: 1 },
    ])
    const down = await s.json<{ edges: unknown[] }>(['lineage', 'datasets/cells@1.0.0', '--down'])
    expect(down.edges).toHaveLength(1)
    const none = await s.json<{ edges: unknown[] }>(['lineage', 'datasets/cells@1.0.0', '--up'])
    expect(none.edges).toEqual([])
    const tree = await s.run(['lineage', 'outputs/run-1'])
    expect(tree.stdout).toBe(
      [
        'outputs/run-1@1.0.0  metrics.json',
        'came from:',
        '  ├─ evaluated_on → datasets/cells@1.0.0  cells.csv',
        '  └─ used_model → models/tiny@1.0.0  model',
        'used by:',
        '  (nothing)',
        '',
      ].join('\n'),
    )
    const back = await s.run(['lineage', 'models/tiny', '--down'])
    expect(back.stdout).toBe(['models/tiny@1.0.0  model', 'used by:', '  └─ ← used_model outputs/run-1@1.0.0  metrics.json', ''].join('\n'))
  })
})

describe('rm, audit', () => {
  it('rm soft-deletes one version: gone from get and versions, listed with --all', async () => {
    expect(await s.json(['rm', 'datasets/cells@1.0.1'])).toEqual({ key: 'datasets/cells', version: '1.0.1', deleted: true })
    expectFailure(await s.run(['get', 'datasets/cells@1.0.1']), 'ASSET_NOT_FOUND')
    expect((await s.json<Record_>(['info', 'datasets/cells'])).version).toBe('1.0.0')
    const visible = await s.json<{ versions: Record_[] }>(['versions', 'datasets/cells'])
    expect(visible.versions.map((v) => v.version)).toEqual(['1.0.0'])
    const all = await s.json<{ versions: Record_[] }>(['versions', 'datasets/cells', '--all'])
    expect(all.versions.map((v) => [v.version, typeof v.deletedAt])).toEqual([
      ['1.0.1', 'string'],
      ['1.0.0', 'undefined'],
    ])
    expect((await s.run(['versions', 'datasets/cells', '--all'])).stdout).toContain('1.0.1 (deleted)')
    expectFailure(await s.run(['rm', 'datasets/cells@gold']), 'INVALID_VERSION')
  })

  it('audit lists the trail of one asset, newest first, with --limit', async () => {
    const doc = await s.json<{ entries: Array<{ id: number; at: string; actor: string; action: string; key?: string; version?: string }> }>([
      'audit', 'datasets/cells',
    ])
    const actions = doc.entries.map((e) => e.action)
    expect(actions).toEqual(expect.arrayContaining(['register', 'set-tag', 'remove-tag', 'annotate', 'soft-delete']))
    expect(actions[0]).toBe('soft-delete')
    expect(doc.entries.every((e) => e.key === 'datasets/cells' && e.actor === me)).toBe(true)
    const limited = await s.json<{ entries: unknown[] }>(['audit', '--limit', '2'])
    expect(limited.entries).toHaveLength(2)
  })
})
