import { readFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack()
})
afterEach(async () => {
  await stack.close()
})

/** A dataset with two versions (1.0.0 tagged production), a model and a config. */
async function runInputs() {
  await stack.base.put('data/pbmc', await stack.file('pbmc-1.h5ad', 'cells v1'), {}, { kind: 'dataset', version: '1.0.0', tags: ['production'] })
  await stack.base.put('data/pbmc', await stack.file('pbmc-2.h5ad', 'cells v2'), {}, { kind: 'dataset', version: '1.1.0' })
  await stack.base.put('models/scvi', await stack.file('scvi.pt', 'weights'), {}, { kind: 'model', version: '2.0.0' })
  await stack.base.put('configs/train', await stack.file('train.yaml', 'lr: 0.1\n'), {}, { kind: 'config', version: '1.3.0' })
}

describe('OutputAssetManager: outputs linked to their run', () => {
  it('records the exact dataset, model and config versions of the run, resolving tags and latest', async () => {
    await runInputs()
    const metrics = await stack.file('metrics.json', JSON.stringify({ ari: 0.81, nmi: 0.77, per_label: { b_cell: 0.9, t_cell: 0.6 } }))
    const result = await stack.outputs.put('runs/r1/metrics', metrics, {}, {
      outputType: 'metrics',
      runId: 'r1',
      run: { dataset: 'data/pbmc@production', model: 'models/scvi', config: { key: 'configs/train', version: 'latest' } },
    })
    expect(result.kind).toBe('output')
    expect(result.expiresAt).toBeUndefined()
    expect(result.relationships).toEqual([
      { relation: 'evaluated_on', key: 'data/pbmc', version: '1.0.0' },
      { relation: 'produced_by', key: 'models/scvi', version: '2.0.0' },
      { relation: 'uses_config', key: 'configs/train', version: '1.3.0' },
    ])
    expect(result.metadata).toMatchObject({ outputType: 'metrics', runId: 'r1', metrics: { ari: 0.81, per_label: { t_cell: 0.6 } } })
  })

  it('answers lineage from an output back to its dataset, model and config, and from the dataset down to the output', async () => {
    await runInputs()
    const log = await stack.file('train.log', 'epoch 1 loss 0.5\n')
    await stack.outputs.put('runs/r2/log', log, {}, { outputType: 'log', run: { dataset: 'data/pbmc@1.1.0', model: 'models/scvi@2.0.0', config: 'configs/train' } })
    const up = await stack.outputs.lineage('runs/r2/log', { direction: 'up' })
    expect(up.edges.map((e) => `${e.from.key} ${e.relation} ${e.to.key}@${e.to.version}`).sort()).toEqual([
      'runs/r2/log evaluated_on data/pbmc@1.1.0',
      'runs/r2/log produced_by models/scvi@2.0.0',
      'runs/r2/log uses_config configs/train@1.3.0',
    ])
    const down = await stack.outputs.lineage('data/pbmc', { version: '1.1.0', direction: 'down' })
    expect(down.edges.map((e) => `${e.from.key}@${e.from.version}`)).toEqual(['runs/r2/log@1.0.0'])
    expect((await stack.outputs.lineage('data/pbmc', { version: '1.0.0', direction: 'down' })).edges).toEqual([])
  })

  it('finds outputs by their metric values and run id', async () => {
    await runInputs()
    for (const [run, ari] of [['r1', 0.55], ['r2', 0.91]] as const) {
      const path = await stack.file(`${run}.json`, JSON.stringify({ ari }))
      await stack.outputs.put(`runs/${run}/metrics`, path, {}, { outputType: 'metrics', runId: run, run: { model: 'models/scvi' } })
    }
    const good = await stack.outputs.findAssets({ kind: 'output', where: { 'metrics.ari': { $gte: 0.8 } } })
    expect(good.items.map((r) => r.key)).toEqual(['runs/r2/metrics'])
    const r1 = await stack.outputs.findAssets({ where: { runId: 'r1' } })
    expect(r1.items.map((r) => r.key)).toEqual(['runs/r1/metrics'])
  })

  it('refuses a run link to an asset of the wrong kind, or to one that does not exist, registering nothing', async () => {
    await runInputs()
    const log = await stack.file('x.log', 'x')
    const wrong = await rejection(stack.outputs.put('runs/bad/log', log, {}, { outputType: 'log', run: { model: 'data/pbmc', dataset: 'configs/train' } }))
    expect(wrong.code).toBe('VALIDATION_FAILED')
    expect(wrong.issues!.map((i) => [i.code, i.path])).toEqual([
      ['RUN_LINK_KIND', 'run/dataset'],
      ['RUN_LINK_KIND', 'run/model'],
    ])
    const missing = await rejection(stack.outputs.put('runs/bad/log', log, {}, { outputType: 'log', run: { model: 'models/none@1.0.0' } }))
    expect(missing.code).toBe('ASSET_NOT_FOUND')
    const untagged = await rejection(stack.outputs.put('runs/bad/log', log, {}, { outputType: 'log', run: { dataset: 'data/pbmc@paper' } }))
    expect(untagged.code).toBe('ASSET_NOT_FOUND')
    expect(await stack.admin.findAssets({ keyPrefix: 'runs/', includeDeleted: true })).toEqual({ items: [] })
  })

  it('stores the bytes of the output unchanged', async () => {
    const report = await stack.file('report.html', '<h1>run</h1>')
    await stack.outputs.put('runs/r3/report', report, {}, { outputType: 'report' })
    expect(await readFile(await stack.outputs.get('runs/r3/report'), 'utf8')).toBe('<h1>run</h1>')
  })
})
