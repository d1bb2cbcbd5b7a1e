import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack({ maxMetricsBytes: 2048 })
})
afterEach(async () => {
  await stack.close()
})

async function refusedMetrics(text: string) {
  const path = await stack.file('metrics.json', text)
  const error = await rejection(stack.outputs.put('runs/m/metrics', path, {}, { outputType: 'metrics' }))
  expect(error.code).toBe('VALIDATION_FAILED')
  expect(await stack.admin.findAssets({ keyPrefix: 'runs/', includeDeleted: true })).toEqual({ items: [] })
  return error.issues!.map((i) => [i.code, i.path])
}

describe('OutputAssetManager: metrics files', () => {
  it('reports every value that is not a finite number, with its path', async () => {
    const issues = await refusedMetrics('{"ari": "0.8", "nmi": null, "loss": 1e999, "per_label": {"b": [0.1], "t": true, "ok": 0.5}, "": 1}')
    expect(issues).toEqual([
      ['METRIC_NOT_NUMBER', 'ari'],
      ['METRIC_NOT_NUMBER', 'nmi'],
      ['METRIC_NOT_FINITE', 'loss'],
      ['METRIC_NOT_NUMBER', 'per_label/b'],
      ['METRIC_NOT_NUMBER', 'per_label/t'],
      ['METRIC_NAME_EMPTY', ''],
    ])
  })

  it('refuses a metrics file that is not a JSON object, or not JSON, or too large', async () => {
    expect(await refusedMetrics('[0.1, 0.2]')).toEqual([['METRICS_NOT_OBJECT', '']])
    expect(await refusedMetrics('{"ari": 0.8')).toEqual([['METRICS_SYNTAX', '']])
    expect(await refusedMetrics(JSON.stringify({ x: 'y'.repeat(3000) }))).toEqual([['METRICS_TOO_LARGE', '']])
  })

  it('accepts nested metric objects and integers', async () => {
    const path = await stack.file('ok.json', JSON.stringify({ n_cells: 2700, clustering: { leiden: { ari: 0.7 } } }))
    const result = await stack.outputs.put('runs/ok/metrics', path, {}, { outputType: 'metrics' })
    expect(result.metadata.metrics).toEqual({ n_cells: 2700, clustering: { leiden: { ari: 0.7 } } })
  })

  it('does not check files of other output types as metrics', async () => {
    const path = await stack.file('notes.json', '["not", "metrics"]')
    expect((await stack.outputs.put('runs/notes', path, {}, { outputType: 'report' })).metadata.outputType).toBe('report')
  })

  it('refuses unknown output types and kinds other than output', async () => {
    const path = await stack.file('a.log', 'x')
    expect((await rejection(stack.outputs.put('runs/a', path, {}, { outputType: 'video' as 'log' }))).code).toBe('INVALID_INPUT')
    expect((await rejection(stack.outputs.put('runs/a', path, {}, { kind: 'dataset' }))).code).toBe('INVALID_INPUT')
  })

  it('checks outputs registered by reference like any other, and refuses metrics by reference', async () => {
    await stack.base.put('configs/x', await stack.file('x.yaml', 'a: 1'), {}, { kind: 'config' })
    const metrics = await rejection(stack.outputs.putReference('runs/m', 's3://bucket/metrics.json', {}, { outputType: 'metrics' }))
    expect(metrics.code).toBe('UNSUPPORTED_OPERATION')
    const wrong = await rejection(stack.outputs.putReference('runs/log', 's3://bucket/run.log', {}, { outputType: 'log', run: { model: 'configs/x' } }))
    expect(wrong.issues!.map((i) => i.code)).toEqual(['RUN_LINK_KIND'])
    const expiry = await rejection(stack.outputs.putReference('runs/tmp', 's3://bucket/tmp.bin', {}, { outputType: 'temporary', ttl: -1 }))
    expect(expiry.code).toBe('INVALID_INPUT')
    expect(await stack.admin.findAssets({ keyPrefix: 'runs/', includeDeleted: true })).toEqual({ items: [] })
  })
})
