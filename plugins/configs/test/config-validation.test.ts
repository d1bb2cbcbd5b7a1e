import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

const schema = {
  type: 'object',
  required: ['model', 'batch_size', 'optimizer'],
  additionalProperties: false,
  properties: {
    model: { type: 'string' },
    batch_size: { type: 'integer', minimum: 1 },
    optimizer: {
      type: 'object',
      required: ['name'],
      properties: { name: { enum: ['adam', 'sgd'] }, lr: { type: 'number', exclusiveMinimum: 0 } },
    },
    created: { type: 'string', format: 'date' },
  },
}

let stack: TestStack
beforeEach(async () => {
  stack = await openStack()
})
afterEach(async () => {
  await stack.close()
})

async function nothingRegistered(key: string) {
  const page = await stack.admin.findAssets({ keyPrefix: key, includeDeleted: true, allVersions: true })
  expect(page.items).toEqual([])
  expect((await stack.admin.audit({ action: 'register' })).filter((e) => e.key === key)).toEqual([])
}

describe('ConfigAssetManager: schema validation', () => {
  it('registers a YAML config that satisfies its JSON Schema, recording format and schema', async () => {
    const path = await stack.file('train.yaml', 'model: scvi\nbatch_size: 128\noptimizer:\n  name: adam\n  lr: 0.001\ncreated: 2025-01-31\n')
    const result = await stack.configs.put('configs/train', path, { team: 'ml' }, { declarativeSchema: schema })
    expect(result).toMatchObject({ kind: 'config', version: '1.0.0', created: true, metadata: { team: 'ml', format: 'yaml' } })
    expect(result.declarativeSchema).toEqual(schema)
    expect(await stack.configs.read('configs/train')).toEqual({ model: 'scvi', batch_size: 128, optimizer: { name: 'adam', lr: 0.001 }, created: '2025-01-31' })
  })

  it('reports every schema error, each with the path of the offending value, and registers nothing', async () => {
    const path = await stack.file('bad.yaml', 'batch_size: 0\noptimizer:\n  name: rmsprop\n  lr: -1\nextra: true\ncreated: 31/01/2025\n')
    const error = await rejection(stack.configs.put('configs/bad', path, {}, { declarativeSchema: schema }))
    expect(error.code).toBe('VALIDATION_FAILED')
    const found = error.issues!.map((i) => [i.code, i.path])
    expect(found).toEqual(
      expect.arrayContaining([
        ['SCHEMA_REQUIRED', 'model'],
        ['SCHEMA_ADDITIONALPROPERTIES', 'extra'],
        ['SCHEMA_MINIMUM', 'batch_size'],
        ['SCHEMA_ENUM', 'optimizer/name'],
        ['SCHEMA_EXCLUSIVEMINIMUM', 'optimizer/lr'],
        ['SCHEMA_FORMAT', 'created'],
      ]),
    )
    expect(found).toHaveLength(6)
    expect(error.message).toContain('optimizer/name')
    expect(error.issues!.find((i) => i.path === 'optimizer/name')!.message).toContain('"adam", "sgd"')
    await nothingRegistered('configs/bad')
  })

  it('checks JSON configs against the same kind of schema', async () => {
    const good = await stack.file('good.json', JSON.stringify({ model: 'x', batch_size: 2, optimizer: { name: 'sgd' } }))
    expect((await stack.configs.put('configs/json', good, {}, { declarativeSchema: schema })).metadata.format).toBe('json')
    const bad = await stack.file('bad.json', JSON.stringify({ model: 1, batch_size: 'two', optimizer: {} }))
    const error = await rejection(stack.configs.put('configs/json', bad, {}, { declarativeSchema: schema }))
    expect(error.issues!.map((i) => i.path).sort()).toEqual(['batch_size', 'model', 'optimizer/name'])
    expect((await stack.configs.listVersions('configs/json')).map((r) => r.version)).toEqual(['1.0.0'])
  })

  it('refuses a schema that is not valid JSON Schema (unknown keyword or format) as INVALID_SCHEMA', async () => {
    const path = await stack.file('a.json', '{}')
    for (const bad of [{ type: 'object', propertees: {} }, { type: 'string', format: 'no-such-format' }, { type: 'banana' }]) {
      const error = await rejection(stack.configs.put('configs/a', path, {}, { declarativeSchema: bad }))
      expect(error.issues?.[0]?.code).toBe('INVALID_SCHEMA')
    }
    await nothingRegistered('configs/a')
  })

  it('refuses JSON that does not parse, naming the problem', async () => {
    const path = await stack.file('broken.json', '{"a": 1,')
    const error = await rejection(stack.configs.put('configs/broken', path))
    expect(error.issues?.[0]?.code).toBe('JSON_SYNTAX')
    await nothingRegistered('configs/broken')
  })

  it('refuses a file whose format cannot be told, and other kinds of asset', async () => {
    const path = await stack.file('settings.txt', 'a: 1\n')
    expect((await rejection(stack.configs.put('configs/txt', path))).code).toBe('INVALID_INPUT')
    expect((await stack.configs.put('configs/txt', path, {}, { format: 'yaml' })).metadata.format).toBe('yaml')
    const yaml = await stack.file('x.yaml', 'a: 1\n')
    expect((await rejection(stack.configs.put('configs/x', yaml, {}, { kind: 'model' }))).message).toMatch(/configs only/)
  })

  it('refuses to register a config by reference, since its bytes must be checked', async () => {
    const error = await rejection(stack.configs.putReference('configs/remote', 's3://bucket/train.yaml'))
    expect(error.code).toBe('UNSUPPORTED_OPERATION')
    await nothingRegistered('configs/remote')
  })
})
