import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStack, rejection, type TestStack } from './fixtures/stack.js'

let stack: TestStack
beforeEach(async () => {
  stack = await openStack({ maxBytes: 4096, maxAliasCount: 50 })
})
afterEach(async () => {
  await stack.close()
})

async function refused(name: string, yaml: string) {
  const path = await stack.file(name, yaml)
  const error = await rejection(stack.configs.put(`configs/${name.replace(/\.yaml$/, '')}`, path))
  expect(error.code).toBe('VALIDATION_FAILED')
  expect(await stack.admin.findAssets({ keyPrefix: 'configs/' })).toEqual({ items: [] })
  return error.issues!
}

describe('ConfigAssetManager: YAML is read as plain data only', () => {
  it('refuses an alias bomb ("billion laughs") instead of expanding it', async () => {
    const bomb = [
      'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n')
    const issues = await refused('bomb.yaml', bomb)
    expect(issues).toEqual([expect.objectContaining({ code: 'YAML_ALIAS_LIMIT' })])
  })

  it('still accepts a few plain anchors and aliases', async () => {
    const path = await stack.file('anchors.yaml', 'defaults: &d {lr: 0.1}\ntrain: *d\n')
    await stack.configs.put('configs/anchors', path)
    expect(await stack.configs.read('configs/anchors')).toEqual({ defaults: { lr: 0.1 }, train: { lr: 0.1 } })
  })

  it('refuses custom and language-specific tags, each with its path', async () => {
    const issues = await refused('tags.yaml', 'run: !!js/function "function () { return 1 }"\nsteps:\n  - ok\n  - !include other.yaml\nblob: !!binary aGk=\n')
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['YAML_TAG_REFUSED', 'run'],
      ['YAML_TAG_REFUSED', 'steps/1'],
      ['YAML_TAG_REFUSED', 'blob'],
    ])
    expect(issues[0]!.message).toContain('tag:yaml.org,2002:js/function')
  })

  it('refuses duplicate keys and multiple documents', async () => {
    expect((await refused('dup.yaml', 'a: 1\na: 2\n')).map((i) => i.code)).toEqual(['YAML_DUPLICATE_KEY'])
    expect((await refused('multi.yaml', 'a: 1\n---\nb: 2\n')).map((i) => i.code)).toContain('YAML_SYNTAX')
  })

  it('reads a config of 60 000 keys, and still finds the one repeated among them', async () => {
    // yaml's own unique-key check is quadratic: this took half a minute to read.
    const wide = await openStack()
    try {
      const lines = Array.from({ length: 60_000 }, (_, i) => `k${i}: ${i}`)
      await wide.configs.put('configs/wide', await wide.file('wide.yaml', `${lines.join('\n')}\n`))
      expect(Object.keys((await wide.configs.read('configs/wide')) as object)).toHaveLength(60_000)
      const path = await wide.file('repeat.yaml', `${lines.join('\n')}\nk42: again\n`)
      const error = await rejection(wide.configs.put('configs/repeat', path))
      expect(error.issues).toEqual([{ code: 'YAML_DUPLICATE_KEY', path: '', message: 'Map keys must be unique at line 60001, column 1' }])
    } finally {
      await wide.close()
    }
  })

  it('refuses a config larger than the size limit before parsing it', async () => {
    const issues = await refused('big.yaml', `a: "${'x'.repeat(5000)}"\n`)
    expect(issues).toEqual([expect.objectContaining({ code: 'CONFIG_TOO_LARGE' })])
  })

  it('refuses bytes that are not UTF-8 text', async () => {
    const path = await stack.file('latin1.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]))
    const error = await rejection(stack.configs.put('configs/latin1', path))
    expect(error.issues).toEqual([expect.objectContaining({ code: 'CONFIG_ENCODING' })])
  })

  it('keeps core-schema explicit tags such as !!str and !!int', async () => {
    const path = await stack.file('core.yaml', 'a: !!str 123\nb: !!int "7"\n')
    await stack.configs.put('configs/core', path)
    expect(await stack.configs.read('configs/core')).toEqual({ a: '123', b: 7 })
  })

  it('refuses options outside their schema with a CONFIG_INVALID error', async () => {
    const { createConfigManager } = await import('../src/index.js')
    expect(() => createConfigManager(stack.configs, { maxAliasCount: -1 })).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})
