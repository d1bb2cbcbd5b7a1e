import { readFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

const DAY = 24 * 3600

let stack: TestStack
beforeEach(async () => {
  stack = await openStack({ temporaryTtl: 3 * DAY })
})
afterEach(async () => {
  await stack.close()
})

const inDays = (days: number) => new Date(Date.now() + days * DAY * 1000)

describe('OutputAssetManager: expiry of temporary outputs', () => {
  it('gives temporary and intermediate outputs an expiry (ttl, expiresAt or the default) and permanent ones none', async () => {
    const path = await stack.file('x.bin', 'x')
    const before = Date.now()
    const byDefault = await stack.outputs.put('runs/a/tmp', path, {}, { outputType: 'temporary' })
    const expiry = new Date(byDefault.expiresAt!).getTime()
    expect(expiry).toBeGreaterThanOrEqual(before + 3 * DAY * 1000)
    expect(expiry).toBeLessThanOrEqual(Date.now() + 3 * DAY * 1000)
    const byTtl = await stack.outputs.put('runs/a/inter', path, {}, { outputType: 'intermediate', ttl: 60 })
    expect(new Date(byTtl.expiresAt!).getTime()).toBeLessThanOrEqual(Date.now() + 60_000)
    const at = inDays(10)
    expect((await stack.outputs.put('runs/a/inter2', path, {}, { outputType: 'intermediate', expiresAt: at })).expiresAt).toBe(at.toISOString())
    expect((await stack.outputs.put('runs/a/report', path, {}, { outputType: 'report' })).expiresAt).toBeUndefined()
  })

  it('refuses an expiry that is malformed, already past, or given twice', async () => {
    const path = await stack.file('x.bin', 'x')
    for (const options of [{ ttl: 0 }, { ttl: -5 }, { expiresAt: 'soon' }, { expiresAt: new Date(Date.now() - 1000) }, { ttl: 60, expiresAt: inDays(1) }]) {
      expect((await rejection(stack.outputs.put('runs/b/tmp', path, {}, { outputType: 'temporary', ...options }))).code).toBe('INVALID_INPUT')
    }
    expect(await stack.admin.findAssets({ keyPrefix: 'runs/' })).toEqual({ items: [] })
  })

  it('refuses an expiry on an output that is not temporary or intermediate, which gc would otherwise delete', async () => {
    const path = await stack.file('r.bin', 'report')
    for (const outputType of ['metrics', 'log', 'report', 'plot', 'other'] as const) {
      const error = await rejection(stack.outputs.put(`runs/c/${outputType}`, path, {}, { outputType, ttl: 60 }))
      expect(error.code, outputType).toBe('INVALID_INPUT')
      expect(error.message).toMatch(/only intermediate and temporary outputs expire/)
    }
    expect(await stack.admin.findAssets({ keyPrefix: 'runs/c/' })).toEqual({ items: [] })
  })

  it('gc removes exactly the expired temporary output: not an unexpired one, a permanent output or a dataset', async () => {
    const put = async (name: string, content: string) => stack.file(name, content)
    await stack.base.put('data/cells', await put('cells.h5ad', 'dataset bytes'), {}, { kind: 'dataset' })
    await stack.outputs.put('runs/r/expired', await put('e.bin', 'expired bytes'), {}, { outputType: 'temporary', ttl: DAY })
    await stack.outputs.put('runs/r/fresh', await put('f.bin', 'fresh bytes'), {}, { outputType: 'intermediate', ttl: 30 * DAY })
    await stack.outputs.put('runs/r/metrics', await put('m.json', '{"ari": 0.5}'), {}, { outputType: 'metrics' })

    const denied = await rejection(stack.outputs.gc({ now: inDays(2) }))
    expect(denied.code).toBe('ACCESS_DENIED')

    const dry = await stack.admin.gc({ now: inDays(2), dryRun: true })
    expect(dry.purgedVersions).toEqual([{ key: 'runs/r/expired', version: '1.0.0' }])
    expect((await stack.admin.getMetadata('runs/r/expired')).version).toBe('1.0.0')

    const report = await stack.admin.gc({ now: inDays(2) })
    expect(report.purgedVersions).toEqual([{ key: 'runs/r/expired', version: '1.0.0' }])
    expect((await rejection(stack.admin.getMetadata('runs/r/expired'))).code).toBe('ASSET_NOT_FOUND')
    expect(report.removedObjects).toHaveLength(1)

    expect(await readFile(await stack.outputs.get('runs/r/fresh'), 'utf8')).toBe('fresh bytes')
    expect(await readFile(await stack.outputs.get('runs/r/metrics'), 'utf8')).toBe('{"ari": 0.5}')
    expect(await readFile(await stack.outputs.get('data/cells'), 'utf8')).toBe('dataset bytes')
    const verify = await stack.admin.verify()
    expect(verify).toMatchObject({ checked: 3, ok: 3, problems: [] })
    expect((await stack.admin.audit({ action: 'purge' })).map((e) => e.key)).toEqual(['runs/r/expired'])
  })
})
