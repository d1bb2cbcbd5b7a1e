import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigAssetManager, createConfigManager } from '../src/index.js'
import { openStack, type TestStack } from './fixtures/stack.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack()
})
afterEach(async () => {
  await stack.close()
})

describe('createConfigManager', () => {
  it('builds on an existing manager, sharing its stack and actor', async () => {
    await stack.base.put('configs/base', await stack.file('base.yaml', 'a: 1\n'), {}, { kind: 'config' })
    const configs = createConfigManager(stack.base)
    expect(configs).toBeInstanceOf(ConfigAssetManager)
    expect(configs.actor).toEqual({ user: 'alice' })
    const result = await configs.put('configs/run', await stack.file('run.yaml', 'b: 2\n'), {}, { requires: { 'configs/base': '^1' } })
    expect(result.createdBy).toBe('user:alice')
    expect(result.relationships).toEqual([{ relation: 'requires', key: 'configs/base', version: '1.0.0' }])
    expect(createConfigManager(stack.base, { actor: { user: 'bob' } }).actor.user).toBe('bob')
  })

  it('needs an actor when built from parts, and keeps its own type across as()', () => {
    expect(() => createConfigManager({ storage: stack.base.storage, registry: stack.base.registry })).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(stack.configs.as({ user: 'carol' })).toBeInstanceOf(ConfigAssetManager)
  })
})
