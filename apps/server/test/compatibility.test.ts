import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDataYaml } from '@assets/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

// The dataset × model pair of apps/cli/test/check-compat.test.ts, stored as the specs of registered versions.
const DATASET = `name: pbmc3k
specs:
  - name: counts
    modality: rna
    semantic: "EDAM:data_3917"
    organism: homo_sapiens
    formats: [h5ad]
`
const MODEL = {
  name: 'scvi',
  version: '1.0.0',
  required_inputs: [{ name: 'counts', modality: 'rna', semantic: 'EDAM:data_3917', organism: 'HUMAN', formats: ['h5ad', 'zarr'] }],
  outputs: [],
}

let stack: ServerStack
beforeAll(async () => {
  stack = await startServerStack()
  const file = join(stack.home, 'content.bin')
  await writeFile(file, 'bytes')
  const alice = stack.manager.as({ user: 'alice', groups: ['lab'] })
  await alice.put('datasets/pbmc3k', file, {}, { kind: 'dataset', specs: parseDataYaml(DATASET).value })
  await alice.put('models/scvi', file, {}, { kind: 'model', specs: MODEL })
  await alice.put('models/scvi-zarr', file, {}, { kind: 'model', specs: { ...MODEL, required_inputs: [{ ...MODEL.required_inputs[0], formats: ['zarr'] }] } })
  await alice.put('models/private', file, {}, { kind: 'model', specs: MODEL, accessControl: { read: [] } })
})
afterAll(() => stack?.close())

const check = (user: string, model: string) =>
  stack.call(user, '/v1/check-compat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dataset: { key: 'datasets/pbmc3k' }, model: { key: model } }) })

describe('POST /v1/check-compat', () => {
  it('checks registered versions by their stored specs', async () => {
    const fits = (await (await check('bob', 'models/scvi')).json()) as { compatible: boolean; dataset: unknown; issues: unknown[] }
    expect(fits).toMatchObject({ compatible: true, dataset: { key: 'datasets/pbmc3k', version: '1.0.0' }, issues: [] })
    const misfit = (await (await check('bob', 'models/scvi-zarr')).json()) as { compatible: boolean; issues: Array<{ code: string }> }
    expect(misfit.compatible).toBe(false)
    expect(misfit.issues.map((i) => i.code)).toContain('FORMAT_MISMATCH')
  })

  it('answers a model the token may not read as missing', async () => {
    const response = await check('bob', 'models/private')
    expect(response.status).toBe(404)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ASSET_NOT_FOUND')
    expect((await check('alice', 'models/private')).status).toBe(200)
  })
})
