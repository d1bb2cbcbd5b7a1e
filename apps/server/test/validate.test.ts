import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatasetValidation, MAX_WAITING_VALIDATIONS } from '../src/dataset-validation.js'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

// The dataset fixtures are written by @assets/datasets' own script, with anndata and zarr themselves.
const WRITE_FIXTURES = fileURLToPath(new URL('../../../plugins/datasets/test/fixtures/write_fixtures.py', import.meta.url))

interface Report {
  key: string
  version: string
  path: string
  format: string
  valid: boolean
  errors: Array<{ code: string; path: string; message: string }>
  summary: { n_obs?: number; n_vars?: number; x_encoding?: string; n_rows?: number }
}

let stack: ServerStack
let data: string
beforeAll(async () => {
  stack = await startServerStack()
  data = join(stack.home, 'data')
  await promisify(execFile)(process.env.FIXTURE_PYTHON ?? '/usr/bin/python3', [WRITE_FIXTURES, data], { timeout: 240_000 })
  const alice = stack.manager.as({ user: 'alice', groups: ['lab'] })
  await alice.put('datasets/csr', join(data, 'csr.h5ad'), {}, { kind: 'dataset' })
  await alice.put('datasets/ensembl', join(data, 'ensembl-column.h5ad'), {}, { kind: 'dataset' })
  await alice.put('datasets/infinite', join(data, 'infinite.h5ad'), {}, { kind: 'dataset' })
  await alice.put('datasets/store', join(data, 'anndata.zarr'), {}, { kind: 'dataset' })
  await alice.put('datasets/samples', join(data, 'bad-types.csv'), {}, { kind: 'dataset' })
  await alice.put('datasets/samples', join(data, 'samples.csv'), {}, { kind: 'dataset' })
  await alice.put('datasets/private', join(data, 'csr.h5ad'), {}, { kind: 'dataset', accessControl: { read: [] } })
}, 300_000)
afterAll(() => stack?.close())

async function validate(user: string, target: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const init: RequestInit = body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  const response = await stack.call(user, `/v1/validate/${target}`, init)
  const text = await response.text()
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown>, text }
}

describe('POST /v1/validate/<key>', () => {
  it('validates the registered version and names it, not the server’s files', async () => {
    const { status, json, text } = await validate('bob', 'datasets/csr', { organism: 'human' })
    expect(status).toBe(200)
    const report = json as unknown as Report
    expect(report).toMatchObject({ key: 'datasets/csr', version: '1.0.0', path: 'datasets/csr@1.0.0', format: 'h5ad', valid: true })
    expect(report.summary).toMatchObject({ n_obs: 40, n_vars: 30, x_encoding: 'csr' })
    expect(text).not.toContain(stack.home)
  })

  it('reports every issue of a schema and an organism, as `assets validate` does', async () => {
    const { status, json } = await validate('bob', 'datasets/ensembl', { schema: 'cellxgene-7.0', organism: 'mouse' })
    expect(status).toBe(200)
    const report = json as unknown as Report
    expect(report.valid).toBe(false)
    const found = report.errors.map((e) => `${e.code} ${e.path}`)
    expect(found).toContain('MISSING_COLUMN obs/donor_id')
    expect(found).toContain('WRONG_GENE_PREFIX var/_index')
    expect(JSON.stringify(report)).not.toContain(stack.home)
  })

  it('reads every matrix value only when asked to', async () => {
    expect((await validate('bob', 'datasets/infinite')).json.valid).toBe(true)
    const { json } = await validate('bob', 'datasets/infinite', { values: true })
    expect((json as unknown as Report).errors.map((e) => `${e.code} ${e.path}`)).toEqual(['NOT_FINITE X'])
  })

  it('validates a zarr folder version', async () => {
    const { status, json } = await validate('bob', 'datasets/store')
    expect(status).toBe(200)
    expect(json).toMatchObject({ format: 'zarr', valid: true, summary: { n_obs: 40, n_vars: 30 } })
  })

  it('takes a schema document and validates the version `ref` names', async () => {
    const schema = { validators: [{ id: 'samples', type: 'CSV', required: ['sample_id', 'age'], properties: { age: { dtype: 'integer' } } }] }
    expect((await validate('bob', 'datasets/samples', { schema })).json.valid).toBe(true)
    const first = await validate('bob', 'datasets/samples?ref=1.0.0', { schema })
    expect(first.json).toMatchObject({ version: '1.0.0', valid: false })
    expect((first.json as unknown as Report).errors.map((e) => e.code)).toEqual(['WRONG_DTYPE'])
  })

  it('refuses an unknown schema, organism or option with a clear message and no path', async () => {
    const schema = await validate('bob', 'datasets/csr', { schema: 'cellxgene-9' })
    expect(schema.status).toBe(400)
    expect(schema.json).toMatchObject({ error: { code: 'INVALID_INPUT' } })
    expect((schema.json as { error: { message: string } }).error.message).toContain('unknown built-in schema "cellxgene-9"')
    const organism = await validate('bob', 'datasets/csr', { organism: 'martian' })
    expect(organism.status).toBe(400)
    expect(organism.text).not.toContain(stack.home)
    expect((await validate('bob', 'datasets/csr', { values: 'yes' })).status).toBe(400)
    const misspelt = await validate('bob', 'datasets/csr', { organsim: 'mouse' })
    expect(misspelt.status).toBe(400)
    expect(misspelt.json).toMatchObject({ error: { code: 'INVALID_INPUT' } })
  })

  it('answers a version the token may not read as missing, and one without a token with 401', async () => {
    const denied = await validate('bob', 'datasets/private')
    expect(denied.status).toBe(404)
    expect(denied.json).toMatchObject({ error: { code: 'ASSET_NOT_FOUND' } })
    expect((await validate('alice', 'datasets/private')).status).toBe(200)
    expect((await stack.call(undefined, '/v1/validate/datasets/csr', { method: 'POST' })).status).toBe(401)
  })

  it('answers several requests at once, each with its own report', async () => {
    const reports = await Promise.all([1, 2, 3].map(() => validate('bob', 'datasets/infinite', { values: true })))
    expect(reports.map((r) => r.status)).toEqual([200, 200, 200])
    expect(reports.every((r) => (r.json as unknown as Report).errors[0]?.code === 'NOT_FINITE')).toBe(true)
  })
})

describe('the validation queue', () => {
  const never = () => new AbortController().signal

  it('refuses more than its waiting limit at once, and serves the rest in turn', async () => {
    const validation = new DatasetValidation()
    const file = join(data, 'csr.h5ad')
    const accepted = Array.from({ length: MAX_WAITING_VALIDATIONS + 1 }, () => validation.validate(async () => file, {}, never()))
    await expect(validation.validate(async () => file, {}, never())).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    const reports = await Promise.all(accepted)
    expect(reports.every((r) => r.valid && r.summary.n_obs === 40)).toBe(true)
  })

  it('drops a waiting validation whose client went away, and stops a running one', async () => {
    const validation = new DatasetValidation()
    const file = join(data, 'infinite.h5ad')
    const running = new AbortController()
    const first = validation.validate(async () => file, { valueChecks: true }, running.signal)
    const leaving = new AbortController()
    const waiting = validation.validate(async () => file, {}, leaving.signal)
    const after = validation.validate(async () => file, {}, never())
    leaving.abort(new Error('left the queue'))
    await expect(waiting).rejects.toThrow('left the queue')
    running.abort(new Error('went away'))
    await expect(first).rejects.toThrow('went away')
    // The one behind them still gets its turn.
    expect((await after).valid).toBe(true)
  })
})

describe('the validation queue at shutdown', () => {
  it('stops a running validation and refuses the waiting and the new ones, so that closing does not wait', async () => {
    const validation = new DatasetValidation()
    const file = join(data, 'infinite.h5ad')
    const signal = new AbortController().signal
    const running = validation.validate(async () => file, { valueChecks: true }, signal)
    const waiting = validation.validate(async () => file, {}, signal)
    validation.close()
    await expect(running).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    await expect(waiting).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    await expect(validation.validate(async () => file, {}, signal)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
  })

  it('takes its turn before reading the version: a waiting or refused request never fills the cache', async () => {
    const validation = new DatasetValidation()
    const file = join(data, 'csr.h5ad')
    const signal = new AbortController().signal
    const prepared: number[] = []
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const accepted = Array.from({ length: MAX_WAITING_VALIDATIONS + 1 }, (_, i) =>
      validation.validate(async () => {
        prepared.push(i)
        if (i === 0) await gate
        return file
      }, {}, signal),
    )
    let refusedPrepare = false
    await expect(
      validation.validate(async () => {
        refusedPrepare = true
        return file
      }, {}, signal),
    ).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    // While the first is still reading its version, nobody else has started reading theirs.
    await new Promise((resolve) => setImmediate(resolve))
    expect(prepared).toEqual([0])
    release()
    await Promise.all(accepted)
    expect(refusedPrepare).toBe(false)
    expect(prepared).toEqual(Array.from({ length: MAX_WAITING_VALIDATIONS + 1 }, (_, i) => i))
  })
})
