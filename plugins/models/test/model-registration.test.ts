import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'
import { modelSpec } from './fixtures/specs.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack()
})
afterEach(async () => {
  await stack.close()
})

async function nothingRegistered(key: string) {
  expect(await stack.admin.findAssets({ keyPrefix: key, includeDeleted: true })).toEqual({ items: [] })
}

describe('ModelAssetManager: models and their specs', () => {
  it('registers a model with its checked ModelSpec, and records modality, tasks, metrics and compute for queries', async () => {
    const weights = await stack.file('scvi.pt', 'weights')
    const result = await stack.models.put('models/scvi', weights, { team: 'ml' }, { modality: 'ml', specs: modelSpec() })
    expect(result).toMatchObject({
      kind: 'model',
      type: 'file',
      metadata: { team: 'ml', modality: 'ml', supportedTasks: ['clustering'], supportedMetrics: ['ari', 'nmi'], compute: { useGpu: true, gpuCount: 1, gpuMinMemoryMb: 16000, ramMb: 32000 } },
    })
    // Stored with defaults filled in and the organism normalised.
    expect((result.specs as { required_inputs: Array<{ organism: string; formats: string[] }> }).required_inputs[0]).toMatchObject({ organism: 'NCBITaxon:9606', formats: ['h5ad'] })

    await stack.models.put('models/linear', weights, {}, { modality: 'statistical', specs: modelSpec({ name: 'linear', compute: {}, supported_tasks: ['classification'] }) })
    const forClustering = await stack.models.findAssets({ kind: 'model', where: { supportedTasks: { $contains: 'clustering' } } })
    expect(forClustering.items.map((r) => r.key)).toEqual(['models/scvi'])
    const cpuOnly = await stack.models.findAssets({ where: { 'compute.useGpu': false, modality: 'statistical' } })
    expect(cpuOnly.items.map((r) => r.key)).toEqual(['models/linear'])
  })

  it('reports every problem of the modality, the spec and its compute needs at once, registering nothing', async () => {
    const weights = await stack.file('bad.pt', 'weights')
    const spec = modelSpec({ outputs: [{ name: 'x', modality: 'rna', semantic: 'not-a-curie' }], compute: { use_gpu: false, gpu_min_memory: 8000, ram_mb: -1, bogus: true } })
    const error = await rejection(stack.models.put('models/bad', weights, {}, { modality: 'deep' as 'ml', specs: spec }))
    expect(error.code).toBe('VALIDATION_FAILED')
    const found = error.issues!.map((i) => `${i.code} ${i.path}`)
    expect(found).toEqual(
      expect.arrayContaining(['INVALID_MODALITY modality', 'INVALID_CURIE specs/outputs/0/semantic', expect.stringMatching(/^\w+ specs\/compute\/ram_mb$/), expect.stringMatching(/^\w+ specs\/compute(\/bogus)?$/)]),
    )
    await nothingRegistered('models/bad')
  })

  it('refuses GPU settings on a model that does not use a GPU, and a multi-GPU model with one GPU', async () => {
    const weights = await stack.file('w.pt', 'weights')
    const cpu = await rejection(stack.models.put('models/a', weights, {}, { modality: 'ml', specs: modelSpec({ compute: { use_gpu: false, gpu_type: 'A100', multi_gpu: true } }) }))
    expect(cpu.issues!.map((i) => `${i.code} ${i.path}`)).toEqual(['RESOURCE_INCONSISTENT specs/compute/gpu_type', 'RESOURCE_INCONSISTENT specs/compute/multi_gpu'])
    const multi = await rejection(stack.models.put('models/a', weights, {}, { modality: 'ml', specs: modelSpec({ compute: { use_gpu: true, multi_gpu: true } }) }))
    expect(multi.issues!.map((i) => `${i.code} ${i.path}`)).toEqual(['RESOURCE_INCONSISTENT specs/compute/gpu_count'])
    await nothingRegistered('models/a')
  })

  it('requires a spec and a modality, and refuses other kinds of asset', async () => {
    const weights = await stack.file('w.pt', 'weights')
    const error = await rejection(stack.models.put('models/none', weights))
    expect(error.issues!.map((i) => i.code).sort()).toEqual(['MODALITY_REQUIRED', 'SPEC_REQUIRED'])
    expect((await rejection(stack.models.put('models/none', weights, {}, { kind: 'dataset' }))).code).toBe('INVALID_INPUT')
  })

  it('registers a model folder (weights plus config) as one folder asset, checking the files it must hold', async () => {
    const folder = join(await stack.file('scvi/model.safetensors', 'tensor bytes'), '..')
    await stack.file('scvi/config.json', '{"n_latent": 10}')
    const missing = await rejection(
      stack.models.put('models/folder', folder, {}, { modality: 'ml', specs: modelSpec(), requiredFiles: ['model.safetensors', 'config.json', 'tokenizer.json'] }),
    )
    expect(missing.issues!.map((i) => `${i.code} ${i.path}`)).toEqual(['MISSING_FILE tokenizer.json'])
    const result = await stack.models.put('models/folder', folder, {}, { modality: 'ml', specs: modelSpec(), requiredFiles: ['model.safetensors', 'config.json'] })
    expect(result).toMatchObject({ type: 'folder', fileCount: 2 })
    const local = await stack.models.get('models/folder')
    expect(await readFile(join(local, 'config.json'), 'utf8')).toBe('{"n_latent": 10}')
    const outside = await rejection(stack.models.put('models/folder', folder, {}, { modality: 'ml', specs: modelSpec(), requiredFiles: ['../secret'] }))
    expect(outside.issues!.map((i) => i.code)).toEqual(['INVALID_FILE_LIST'])
  })
})
