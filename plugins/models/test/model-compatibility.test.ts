import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { COMPAT_OVERRIDE_ACTION, IncompatibleModelError } from '../src/index.js'
import { clusteringTask, modelSpec, pbmcSpec, zarrSpec } from './fixtures/specs.js'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack()
  const data = await stack.file('cells.h5ad', 'cells')
  await stack.base.put('data/pbmc', data, {}, { kind: 'dataset', version: '1.0.0', specs: pbmcSpec, tags: ['benchmark'] })
  await stack.base.put('data/pbmc', await stack.file('cells2.h5ad', 'cells 2'), {}, { kind: 'dataset', version: '1.1.0', specs: zarrSpec })
  await stack.base.put('data/bare', data, {}, { kind: 'dataset' })
})
afterEach(async () => {
  await stack.close()
})

const put = async (options: Record<string, unknown>, key = 'models/scvi') =>
  stack.models.put(key, await stack.file('w.pt', 'weights'), {}, { modality: 'ml', specs: modelSpec(), ...options })

async function nothingRegistered(key: string) {
  expect(await stack.admin.findAssets({ keyPrefix: key, includeDeleted: true })).toEqual({ items: [] })
  expect((await stack.admin.audit({})).filter((e) => e.key === key)).toEqual([])
}

describe('ModelAssetManager: relations to datasets need compatibility', () => {
  it('records a relation to a compatible dataset version at its exact version, with the warnings found', async () => {
    const result = await put({ relationships: [{ relation: 'evaluated_on', key: 'data/pbmc', version: 'benchmark' }], task: clusteringTask })
    expect(result.relationships).toEqual([{ relation: 'evaluated_on', key: 'data/pbmc', version: '1.0.0' }])
    expect(result.metadata.compatibility).toEqual([{ relation: 'evaluated_on', key: 'data/pbmc', version: '1.0.0', status: 'compatible', warnings: ['OPTIONAL_INPUT_MISSING'] }])
    const lineage = await stack.models.lineage('models/scvi', { direction: 'up' })
    expect(lineage.edges.map((e) => `${e.relation} ${e.to.key}@${e.to.version}`)).toEqual(['evaluated_on data/pbmc@1.0.0'])
  })

  it('refuses a relation to an incompatible dataset version with a ValidationError listing the issues, registering nothing', async () => {
    const error = await rejection(put({ relationships: [{ relation: 'compatible_with', key: 'data/pbmc' }] }))
    expect(error).toBeInstanceOf(IncompatibleModelError)
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.name).toBe('IncompatibleModelError')
    expect(error.issues).toEqual([expect.objectContaining({ code: 'FORMAT_MISMATCH', path: 'compatible_with/data/pbmc@1.1.0' })])
    expect(error.message).toContain('zarr')
    expect((error as IncompatibleModelError).compatibility[0]!.issues.map((i) => i.code)).toEqual(['FORMAT_MISMATCH', 'OPTIONAL_INPUT_MISSING'])
    await nothingRegistered('models/scvi')
  })

  it('checks the task too: a model whose outputs do not give the task its prediction is refused', async () => {
    const task = { ...clusteringTask, prediction_schema: { name: 'labels', modality: 'rna', semantic: 'EDAM:data_9999' } }
    const error = await rejection(put({ relationships: [{ relation: 'evaluated_on', key: 'data/pbmc', version: '1.0.0' }], task }))
    expect(error.issues!.map((i) => i.code)).toContain('MISSING_OUTPUT')
    await nothingRegistered('models/scvi')
  })

  it('refuses a relation to a dataset without a recorded DatasetSpec, and one to an asset that is not a dataset', async () => {
    const bare = await rejection(put({ relationships: [{ relation: 'evaluated_on', key: 'data/bare' }] }))
    expect(bare.issues!.map((i) => i.code)).toEqual(['DATASET_SPEC_MISSING'])
    await stack.base.put('configs/x', await stack.file('x.yaml', 'a: 1'), {}, { kind: 'config' })
    const config = await rejection(put({ relationships: [{ relation: 'evaluated_on', key: 'configs/x' }] }))
    expect(config.issues!.map((i) => i.code)).toEqual(['NOT_A_DATASET'])
    await nothingRegistered('models/scvi')
  })

  it('reports compute needs a given machine cannot meet', async () => {
    const machine = { cpu_cores: 8, ram_mb: 64000, disk_mb: 100000, gpus: [] }
    const error = await rejection(put({ relationships: [{ relation: 'evaluated_on', key: 'data/pbmc', version: '1.0.0' }], machine }))
    expect(error.issues!.map((i) => i.code)).toContain('RESOURCE_UNMET')
  })

  it('records an overridden relation, and audits the actor, time, reason and the issues overridden', async () => {
    const before = new Date().toISOString()
    const result = await put({ relationships: [{ relation: 'compatible_with', key: 'data/pbmc' }], override: { reason: 'converted to h5ad at load time' } })
    expect(result.relationships).toEqual([{ relation: 'compatible_with', key: 'data/pbmc', version: '1.1.0' }])
    expect(result.metadata.compatibility).toEqual([expect.objectContaining({ status: 'overridden', key: 'data/pbmc', version: '1.1.0' })])
    expect(result.metadata.compatibilityOverride).toEqual({ reason: 'converted to h5ad at load time', issues: ['FORMAT_MISMATCH'] })
    const [entry, ...more] = await stack.admin.audit({ action: COMPAT_OVERRIDE_ACTION })
    expect(more).toEqual([])
    expect(entry).toMatchObject({ actor: 'user:alice', action: 'compat-override', key: 'models/scvi', version: result.version })
    expect(entry!.at >= before).toBe(true)
    expect(entry!.details).toEqual({
      reason: 'converted to h5ad at load time',
      datasets: [{ relation: 'compatible_with', key: 'data/pbmc', version: '1.1.0', issues: [expect.objectContaining({ who: 'dataset', code: 'FORMAT_MISMATCH', severity: 'error' })] }],
    })
  })

  it('audits an override exactly when the version registers: a refused registration or a no-op re-put writes none', async () => {
    const overriding = { relationships: [{ relation: 'compatible_with', key: 'data/pbmc' }], override: { reason: 'converted at load time' } }
    await stack.models.put('models/scvi', await stack.file('other.pt', 'other weights'), {}, { modality: 'ml', specs: modelSpec(), version: '1.0.0' })
    // 1.0.0 holds other bytes: the registration is refused after every check passed.
    expect((await rejection(put({ ...overriding, version: '1.0.0' }))).code).toBe('VERSION_CONFLICT')
    expect(await stack.admin.audit({ action: COMPAT_OVERRIDE_ACTION })).toEqual([])
    const result = await put({ ...overriding, version: '2.0.0' })
    expect(result.created).toBe(true)
    expect((await put({ ...overriding, version: '2.0.0' })).created).toBe(false)
    const entries = await stack.admin.audit({ action: COMPAT_OVERRIDE_ACTION })
    expect(entries.map((e) => `${e.key}@${e.version}`)).toEqual(['models/scvi@2.0.0'])
  })

  it('needs a reason to override, and audits nothing when nothing was overridden', async () => {
    expect((await rejection(put({ relationships: [{ relation: 'compatible_with', key: 'data/pbmc' }], override: { reason: '  ' } }))).code).toBe('INVALID_INPUT')
    await put({ relationships: [{ relation: 'compatible_with', key: 'data/pbmc', version: '1.0.0' }], override: { reason: 'not needed' } })
    expect(await stack.admin.audit({ action: COMPAT_OVERRIDE_ACTION })).toEqual([])
  })

  it('leaves relations it does not check alone (a fine-tuned model derived from another)', async () => {
    await put({})
    const result = await put({ relationships: [{ relation: 'derived_from', key: 'models/scvi' }] }, 'models/scvi-ft')
    expect(result.relationships).toEqual([{ relation: 'derived_from', key: 'models/scvi', version: '1.0.0' }])
    expect(result.metadata.compatibility).toBeUndefined()
  })

  it('checks a registered model against a dataset without recording anything', async () => {
    await put({})
    const ok = await stack.models.checkCompatibility({ key: 'models/scvi' }, { key: 'data/pbmc', version: 'benchmark' }, { task: clusteringTask })
    expect(ok.issues.filter((i) => i.severity === 'error')).toEqual([])
    const bad = await stack.models.checkCompatibility({ key: 'models/scvi' }, { key: 'data/pbmc' })
    expect(bad).toMatchObject({ key: 'data/pbmc', version: '1.1.0', issues: [expect.objectContaining({ code: 'FORMAT_MISMATCH' }), expect.anything()] })
  })

  it('applies the same checks to weights registered by reference, before the reference is read', async () => {
    const relationships = [{ relation: 'compatible_with', key: 'data/pbmc', version: 'latest' }]
    const error = await rejection(stack.models.putReference('models/remote', 's3://bucket/scvi.pt', {}, { modality: 'ml', specs: modelSpec(), relationships }))
    expect(error).toBeInstanceOf(IncompatibleModelError)
    const folder = await rejection(stack.models.putReference('models/remote', 's3://bucket/scvi.pt', {}, { modality: 'ml', specs: modelSpec(), requiredFiles: ['config.json'] }))
    expect(folder.issues!.map((i) => i.code)).toEqual(['NOT_A_FOLDER'])
    await nothingRegistered('models/remote')
  })
})
