import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack()
})
afterEach(async () => {
  await stack.close()
})

async function putVersions(key: string, versions: string[]) {
  for (const version of versions) {
    const path = await stack.file(`${key.replace(/\//g, '_')}-${version}.yaml`, `version: "${version}"\n`)
    await stack.configs.put(key, path, {}, { version })
  }
}

describe('ConfigAssetManager: dependencies between configs', () => {
  it('resolves each range to the highest registered version satisfying it and records it as a relationship', async () => {
    await putVersions('base/preprocess', ['1.1.0', '1.2.0', '1.4.2', '2.0.0', '1.5.0-rc.1'])
    await putVersions('base/metrics', ['0.3.1', '0.3.9', '0.4.0'])
    const path = await stack.file('run.yaml', 'steps: [preprocess, train]\n')
    const result = await stack.configs.put('configs/run', path, {}, { requires: { 'base/preprocess': '^1.2', 'base/metrics': '~0.3' } })
    expect(result.relationships).toEqual([
      { relation: 'requires', key: 'base/preprocess', version: '1.4.2' },
      { relation: 'requires', key: 'base/metrics', version: '0.3.9' },
    ])
    expect(result.metadata.requires).toEqual({ 'base/preprocess': '^1.2', 'base/metrics': '~0.3' })
    const lineage = await stack.configs.lineage('configs/run', { direction: 'up' })
    expect(lineage.edges.map((e) => `${e.relation} ${e.to.key}@${e.to.version}`).sort()).toEqual(['requires base/metrics@0.3.9', 'requires base/preprocess@1.4.2'])
  })

  it('refuses a dependency that does not resolve, with UNRESOLVED_DEPENDENCY, and registers nothing', async () => {
    await putVersions('base/preprocess', ['1.0.0', '2.0.0'])
    const path = await stack.file('run.yaml', 'a: 1\n')
    const error = await rejection(stack.configs.put('configs/run', path, {}, { requires: { 'base/preprocess': '^1.2', 'base/missing': '1.x' } }))
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.issues!.map((i) => [i.code, i.path])).toEqual([
      ['UNRESOLVED_DEPENDENCY', 'requires/base/preprocess'],
      ['UNRESOLVED_DEPENDENCY', 'requires/base/missing'],
    ])
    expect(error.issues![0]!.message).toContain('registered: 1.0.0, 2.0.0')
    expect(await stack.admin.findAssets({ keyPrefix: 'configs/', includeDeleted: true })).toEqual({ items: [] })
    expect((await stack.admin.audit({ action: 'register' })).filter((e) => e.key === 'configs/run')).toEqual([])
  })

  it('reports schema errors and unresolved dependencies together', async () => {
    const path = await stack.file('run.json', '{"a": "x"}')
    const error = await rejection(
      stack.configs.put('configs/run', path, {}, { declarativeSchema: { type: 'object', properties: { a: { type: 'number' } } }, requires: { 'base/none': '^1' } }),
    )
    expect(error.issues!.map((i) => i.code)).toEqual(['SCHEMA_TYPE', 'UNRESOLVED_DEPENDENCY'])
  })

  it('ignores deleted versions and versions the actor cannot read', async () => {
    await putVersions('base/preprocess', ['1.2.0', '1.3.0'])
    await stack.configs.delete('base/preprocess', '1.3.0')
    await putVersions('secret/base', ['1.0.0'])
    await stack.configs.setAccessControl('secret/base', { read: [] })
    const bob = stack.configs.as({ user: 'bob' })
    const path = await stack.file('run.yaml', 'a: 1\n')
    const ok = await stack.configs.put('configs/run', path, {}, { requires: { 'base/preprocess': '>=1.2' } })
    expect(ok.relationships).toEqual([{ relation: 'requires', key: 'base/preprocess', version: '1.2.0' }])
    const error = await rejection(bob.put('configs/bob', path, {}, { requires: { 'secret/base': '1.0.0' } }))
    expect(error.issues!.map((i) => i.code)).toEqual(['UNRESOLVED_DEPENDENCY'])
  })

  it('refuses a dependency on something that is not a config, a bad range and a self-dependency', async () => {
    const data = await stack.file('data.csv', 'a,b\n1,2\n')
    await stack.base.put('data/cells', data, {}, { kind: 'dataset' })
    await putVersions('configs/self', ['1.0.0'])
    const path = await stack.file('run.yaml', 'a: 1\n')
    const error = await rejection(
      stack.configs.put('configs/self', path, {}, { requires: { 'data/cells': '*', 'base/x': '^^1', 'configs/self': '1.0.0' } }),
    )
    expect(error.issues!.map((i) => i.code)).toEqual(['NOT_A_CONFIG', 'INVALID_RANGE', 'SELF_DEPENDENCY'])
  })
})
