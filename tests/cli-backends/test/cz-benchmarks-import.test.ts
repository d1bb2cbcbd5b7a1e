// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Hydra's ${…} interpolations, written into YAML text on purpose
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, PutBucketAclCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { BIN, Sandbox } from '../../../apps/cli/test/fixtures/cli.js'

// The real catalogue (apps/cli/test/fixtures/cz-benchmarks/SOURCE.md says where it came from),
// imported against a local Ceph gateway holding a small h5ad, written by anndata now, at each of
// its 38 keys in a bucket of the same name, readable anonymously (public-read ACLs).
const CATALOGUE = fileURLToPath(new URL('../../../apps/cli/test/fixtures/cz-benchmarks/datasets.yaml', import.meta.url))
const PYTHON_MODULE = fileURLToPath(new URL('../../../apps/cli/python', import.meta.url))
const WRITER = fileURLToPath(new URL('./fixtures/write_cz_h5ad.py', import.meta.url))
// Debian's interpreter: python3-anndata lives there, not in a pyenv one earlier on PATH.
const PYTHON = '/usr/bin/python3'
const BUCKET = 'cz-benchmarks-data'
const run = promisify(execFile)

const s3 = inject('s3')
let s: Sandbox
let client: S3Client
/** Dataset name → object key in the bucket, from the catalogue itself. */
let objects: Map<string, string>
let local: string

interface Item {
  name: string
  key: string
  status: string
  version?: string
  previous?: string
  reason?: string
  hashed?: boolean
}
interface Report {
  entries: number
  new: number
  changed: number
  unchanged: number
  refused: number
  items: Item[]
  files: Array<{ path: string; blob: string }>
}
interface Info {
  version: string
  kind: string
  digest: string
  size: number
  metadata: Record<string, unknown> & { cz_benchmarks: { target: string; parameters: Record<string, unknown>; organism_enum: string } }
  provenance: Record<string, unknown>
}

// No AWS keys at all: the gateway is read anonymously, as the real public bucket is. Plain
// http:// on loopback, so insecure storage is allowed here, explicitly.
const env = { ALLOW_INSECURE_STORAGE: 'true' }
const importArgs = (...more: string[]) => ['import', 'cz-benchmarks', CATALOGUE, '--s3-endpoint', s3.endpoint, ...more]

async function upload(key: string, body: Uint8Array): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ACL: 'public-read' }))
}

beforeAll(async () => {
  s = await Sandbox.create('cz-import')
  client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }))
  await client.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }))
  const text = await readFile(CATALOGUE, 'utf8')
  objects = new Map([...text.matchAll(/^ {2}(\w+):\n(?:^ {4}.*\n)*?^ {4}path: s3:\/\/cz-benchmarks-data\/(\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
  expect(objects.size).toBe(38)
  local = s.path('objects')
  await mkdir(local, { recursive: true })
  await run(PYTHON, [WRITER, local, ...objects.keys()])
  for (const [name, key] of objects) await upload(key, await readFile(join(local, `${name}.h5ad`)))
}, 180_000)

afterAll(async () => {
  client?.destroy()
  await s?.cleanup()
})

const info = (ref: string) => s.json<Info>(['info', ref], { env })

describe('assets import cz-benchmarks', () => {
  it('registers the 38 entries of the real datasets.yaml by reference, with organism, kind, layout version and parameters', async () => {
    const report = await s.json<Report>(importArgs('--source-repo', 'chanzuckerberg/cz-benchmarks', '--source-commit', '6e64d202f1c71384b48bd7a72be1a2c80872fab0'), { env })
    expect(report).toMatchObject({ entries: 38, new: 38, changed: 0, unchanged: 0, refused: 0 })
    expect(report.files[0]?.blob).toBe('64a3b9f85290310e6adde57bd9326c72df7c8351')
    expect(report.items.every((i) => i.version === '1.0.0')).toBe(true)

    const perturb = await info('cz-benchmarks/replogle_k562_essential_perturbpredict')
    expect(perturb.kind).toBe('dataset')
    expect(perturb.metadata).toMatchObject({
      organism: 'NCBITaxon:9606',
      organism_name: 'homo_sapiens',
      gene_id_prefix: 'ENSG',
      dataset_kind: 'single_cell_perturbation',
      layout_version: 2,
      cz_benchmarks: {
        target: 'czbenchmarks.datasets.SingleCellPerturbationDataset',
        organism_enum: 'HUMAN',
        parameters: { condition_key: 'condition', control_name: 'non-targeting', de_gene_col: 'gene_id' },
      },
    })
    // Nothing was read: the digest is the pin's until the first get.
    expect(perturb.digest).toMatch(/^pin:[0-9a-f]{64}$/)
    expect(perturb.size).toBe((await readFile(join(local, 'replogle_k562_essential_perturbpredict.h5ad'))).length)
    expect(perturb.provenance).toMatchObject({
      source: 'cz-benchmarks',
      repository: 'chanzuckerberg/cz-benchmarks',
      commit: '6e64d202f1c71384b48bd7a72be1a2c80872fab0',
      blob: '64a3b9f85290310e6adde57bd9326c72df7c8351',
    })
    expect(Date.parse(String(perturb.provenance.imported_at))).toBeGreaterThan(Date.now() - 600_000)

    // `Tabula_Sapiens_v2` in the path is a name, not a layout: datasets/v1/ decides.
    const prostate = await info('cz-benchmarks/tsv2_prostate')
    expect(prostate.metadata).toMatchObject({ layout_version: 1, dataset_kind: 'single_cell_labeled', cz_benchmarks: { parameters: {} } })
    expect((await info('cz-benchmarks/platypus_spermatogenesis')).metadata).toMatchObject({
      organism: 'NCBITaxon:9258',
      organism_name: 'ornithorhynchus_anatinus',
      gene_id_prefix: 'ENSOANG',
      cz_benchmarks: { organism_enum: 'PLATYPUS' },
    })
    expect((await info('cz-benchmarks/allen_soundlife_immune_variation')).metadata).toMatchObject({
      layout_version: 1,
      cz_benchmarks: { parameters: { label_column_key: 'subject__ageAtFirstDraw' } },
    })
    const organisms = new Set<string>()
    for (const name of objects.keys()) organisms.add(String((await info(`cz-benchmarks/${name}`)).metadata.organism_name))
    expect([...organisms].sort()).toEqual(
      [
        'callithrix_jacchus', 'gallus_gallus', 'gorilla_gorilla', 'homo_sapiens', 'macaca_mulatta',
        'monodelphis_domestica', 'mus_musculus', 'ornithorhynchus_anatinus', 'pan_troglodytes',
      ].sort(),
    )
  })

  it('a second import changes nothing', async () => {
    const report = await s.json<Report>(importArgs(), { env })
    expect(report).toMatchObject({ entries: 38, new: 0, changed: 0, unchanged: 38, refused: 0 })
    const listed = await s.json<{ versions: Array<{ version: string }> }>(['versions', 'cz-benchmarks/tsv2_blood'], { env })
    expect(listed.versions.map((v) => v.version)).toEqual(['1.0.0'])
  })

  it('the first get reads the object, records its sha256, and hands back the file; anndata reads it through the Python module', async () => {
    const bytes = await readFile(join(local, 'tsv2_prostate.h5ad'))
    const sha = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    // No endpoint given now: the one recorded at import is used.
    const got = await s.json<{ path: string; digest: string }>(['get', 'cz-benchmarks/tsv2_prostate'], { env })
    expect((await readFile(got.path)).equals(bytes)).toBe(true)
    expect((await info('cz-benchmarks/tsv2_prostate')).digest).toBe(sha)
    const audit = await s.json<{ entries: Array<{ action: string; details?: { digest?: string } }> }>(['audit', 'cz-benchmarks/tsv2_prostate'], { env })
    expect(audit.entries.filter((e) => e.action === 'record-digest').map((e) => e.details?.digest)).toEqual([sha])

    const script = [
      'import anndata, sys',
      'from assets_datasets import load_dataset',
      'path = load_dataset("tsv2_prostate")',
      'a = anndata.read_h5ad(path)',
      'print(path); print(a.n_obs, a.n_vars)',
    ].join('\n')
    // No __pycache__ written into the source tree.
    const pyEnv = { ...s.env(env), PYTHONPATH: PYTHON_MODULE, PYTHONDONTWRITEBYTECODE: '1', ASSETS_CLI: `${process.execPath} ${BIN}` }
    const { stdout } = await run(PYTHON, ['-c', script], { env: pyEnv, cwd: s.work })
    const [path, shape] = stdout.trim().split('\n')
    expect((await readFile(path!)).equals(bytes)).toBe(true)
    expect(shape).toMatch(/^\d+ 6$/)

    const missing = await run(PYTHON, ['-c', 'from assets_datasets import load_dataset, AssetsError\ntry:\n  load_dataset("no_such_dataset")\nexcept AssetsError as e:\n  print(e.code)'], { env: pyEnv, cwd: s.work })
    expect(missing.stdout.trim()).toBe('ASSET_NOT_FOUND')
  })

  it('an object replaced after its first get fails the next get with INTEGRITY_ERROR, even from the cache', async () => {
    await s.json(['get', 'cz-benchmarks/tsv2_bladder'], { env })
    await upload(objects.get('tsv2_bladder')!, await readFile(join(local, 'tsv2_blood.h5ad')))
    const r = await s.run(['get', 'cz-benchmarks/tsv2_bladder', '--json'], { env })
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'INTEGRITY_ERROR', message: expect.stringMatching(/changed underneath/) } })
  })

  it('an object replaced before any get fails its first get too, and a re-import registers a new version for it', async () => {
    await upload(objects.get('tsv2_ear')!, await readFile(join(local, 'tsv2_eye.h5ad')))
    const r = await s.run(['get', 'cz-benchmarks/tsv2_ear', '--json'], { env })
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'INTEGRITY_ERROR' } })

    const report = await s.json<Report>(importArgs(), { env })
    // tsv2_bladder was replaced in the test before: both are changed, nothing is overwritten.
    expect(report).toMatchObject({ entries: 38, new: 0, changed: 2, unchanged: 36, refused: 0 })
    expect(report.items.filter((i) => i.status === 'changed').map((i) => [i.name, i.previous, i.version])).toEqual([
      ['tsv2_bladder', '1.0.0', '1.0.1'],
      ['tsv2_ear', '1.0.0', '1.0.1'],
    ])
    const got = await s.json<{ path: string; version: string }>(['get', 'cz-benchmarks/tsv2_ear'], { env })
    expect(got.version).toBe('1.0.1')
    expect((await readFile(got.path)).equals(await readFile(join(local, 'tsv2_eye.h5ad')))).toBe(true)
    // The old version stays registered, and still refuses bytes that are not its own.
    const old = await s.run(['get', 'cz-benchmarks/tsv2_ear@1.0.0', '--json'], { env })
    expect(JSON.parse(old.stderr)).toMatchObject({ error: { code: 'INTEGRITY_ERROR' } })
  })

  it('--hash reads every object once and records its digest at import', async () => {
    const report = await s.json<Report>(importArgs('--hash', '--prefix', 'czb-hashed'), { env })
    expect(report).toMatchObject({ entries: 38, new: 38, refused: 0 })
    const bytes = await readFile(join(local, 'mouse_spermatogenesis.h5ad'))
    expect((await info('czb-hashed/mouse_spermatogenesis')).digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`)
    // On versions registered without it, --hash records the digest of the unchanged ones.
    const again = await s.json<Report>(importArgs('--hash'), { env })
    expect(again).toMatchObject({ unchanged: 38, refused: 0 })
    const gorilla = await readFile(join(local, 'gorilla_spermatogenesis.h5ad'))
    expect((await info('cz-benchmarks/gorilla_spermatogenesis')).digest).toBe(`sha256:${createHash('sha256').update(gorilla).digest('hex')}`)
  })

  it('refuses an unknown organism, a stray ${…}, a null entry and an object that is not there, and imports the rest', async () => {
    const extra = s.path('extra.yaml')
    await writeFile(
      extra,
      [
        'defaults:',
        '  - _self_',
        'datasets:',
        '  alien:',
        '    _target_: czbenchmarks.datasets.SingleCellLabeledDataset',
        '    organism: ${organism:MARTIAN}',
        `    path: s3://${BUCKET}/${objects.get('tsv2_blood')}`,
        '  templated:',
        '    _target_: czbenchmarks.datasets.SingleCellLabeledDataset',
        '    organism: ${organism:HUMAN}',
        '    path: s3://${oc.env:BUCKET}/datasets/v1/x.h5ad',
        '  empty: null',
        '  gone:',
        '    _target_: czbenchmarks.datasets.SingleCellLabeledDataset',
        '    organism: ${organism:MOUSE}',
        `    path: s3://${BUCKET}/datasets/v3/not-there.h5ad`,
        '  tsv2_blood:',
        '    _target_: czbenchmarks.datasets.SingleCellLabeledDataset',
        '    organism: ${organism:HUMAN}',
        `    path: s3://${BUCKET}/${objects.get('tsv2_blood')}`,
        '    label_column_key: cell_type',
        '',
      ].join('\n'),
    )
    const r = await s.run([...importArgs(), extra, '--json'], { env })
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    expect(report).toMatchObject({ entries: 42, refused: 4, changed: 1 })
    const reasons = Object.fromEntries(report.items.filter((i) => i.status === 'refused').map((i) => [i.name, i.reason]))
    expect(reasons.alien).toMatch(/unknown organism MARTIAN/)
    expect(reasons.templated).toMatch(/path holds "s3:\/\/\$\{oc\.env:BUCKET\}.*only \$\{organism:NAME\} is resolved/)
    expect(reasons.empty).toMatch(/null/)
    expect(reasons.gone).toMatch(/not-there\.h5ad does not exist/)
    // The later file wins: tsv2_blood gains a parameter, so a new version.
    expect((await info('cz-benchmarks/tsv2_blood')).metadata).toMatchObject({ cz_benchmarks: { parameters: { label_column_key: 'cell_type' } } })
  })

  it('offline, a dataset read before is still served from the cache (checked against its recorded sha256); one never read fails', async () => {
    // The mirror behind a forwarder this test can take away: the endpoint recorded at import is the forwarder's.
    const target = new URL(s3.endpoint)
    const open = new Set<Socket>()
    const forwarder = createServer((socket) => {
      const upstream = connect(Number(target.port), target.hostname)
      open.add(socket).add(upstream)
      socket.pipe(upstream).pipe(socket)
      const end = () => {
        socket.destroy()
        upstream.destroy()
      }
      socket.on('error', end)
      upstream.on('error', end)
    })
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve))
    const mirror = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}`
    const offline = await Sandbox.create('cz-offline')
    try {
      const catalogue = offline.path('two.yaml')
      const entry = (name: string) => [`  ${name}:`, '    _target_: czbenchmarks.datasets.SingleCellLabeledDataset', '    organism: ${organism:HUMAN}', `    path: s3://${BUCKET}/${objects.get(name)}`]
      await writeFile(catalogue, ['datasets:', ...entry('tsv2_prostate'), ...entry('tsv2_blood'), ''].join('\n'))
      await offline.json(['import', 'cz-benchmarks', catalogue, '--s3-endpoint', mirror], { env })
      const first = await offline.json<{ path: string; digest: string }>(['get', 'cz-benchmarks/tsv2_prostate'], { env })
      const bytes = await readFile(join(local, 'tsv2_prostate.h5ad'))
      // The digest just recorded, not the pin it replaced.
      expect(first.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`)

      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => forwarder.close(() => resolve()))
      const again = await offline.json<{ path: string; digest: string }>(['get', 'cz-benchmarks/tsv2_prostate'], { env })
      expect(again.digest).toBe(first.digest)
      expect((await readFile(again.path)).equals(bytes)).toBe(true)
      const never = await offline.run(['get', 'cz-benchmarks/tsv2_blood', '--json'], { env })
      expect(never.code).not.toBe(0)
      expect(JSON.parse(never.stderr)).toMatchObject({ error: { code: 'BACKEND_UNAVAILABLE' } })
    } finally {
      if (forwarder.listening) forwarder.close()
      await offline.cleanup()
    }
  }, 120_000)

  it('refuses a file with duplicate keys before making any request', async () => {
    const dup = s.path('dup.yaml')
    await writeFile(dup, 'datasets:\n  a:\n    path: s3://x/y\n  a:\n    path: s3://x/z\n')
    const r = await s.run(['import', 'cz-benchmarks', dup, '--json'], { env })
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringMatching(/dup\.yaml: INVALID_YAML/) } })
  })
})
