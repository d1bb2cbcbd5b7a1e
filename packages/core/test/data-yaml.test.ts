import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AssetConfig, MAX_YAML_DEPTH, parseDataYaml } from '../src/index.js'

// These files took minutes with yaml's own unique-key check (quadratic in a map's keys). The
// tests state what is read; how long it takes is in BENCHMARKS.md's notes, not asserted here.
describe('large data files are read, with keys still unique', () => {
  let cwd: string
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'assets-data-yaml-'))
  })
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true })
  })

  it('a metadata file of 250 000 keys parses to 250 000 fields', () => {
    const lines = Array.from({ length: 250_000 }, (_, i) => `k${i}: ${i}`)
    const { value, problems } = parseDataYaml(lines.join('\n'))
    expect(problems).toEqual([])
    const fields = value as Record<string, number>
    expect(Object.keys(fields)).toHaveLength(250_000)
    expect(fields.k249999).toBe(249_999)
  })

  it('a config of 60 000 users loads', () => {
    const users = Array.from({ length: 60_000 }, (_, i) => `  u${i}: {}`)
    const path = join(cwd, 'config.yaml')
    writeFileSync(path, `users:\n${users.join('\n')}\n`)
    const config = AssetConfig.load({ env: { HOME: cwd }, cwd, configPath: path })
    expect(Object.keys(config.users)).toHaveLength(60_000)
    expect(config.users.u59999).toBeDefined()
  })

  it('a repeated key among 250 000 is reported where yaml reported it', () => {
    const lines = Array.from({ length: 250_000 }, (_, i) => `k${i}: ${i}`)
    lines.push('k17: again')
    const { value, problems } = parseDataYaml(lines.join('\n'))
    expect(value).toBeUndefined()
    expect(problems).toEqual([{ code: 'INVALID_YAML', message: 'Map keys must be unique', line: 250_001, column: 1 }])
  })
})

describe('unique keys', () => {
  it('refuses a repeated key in block and flow maps, at any depth', () => {
    expect(parseDataYaml('a: 1\nb: 2\na: 3\n').problems).toEqual([{ code: 'INVALID_YAML', message: 'Map keys must be unique', line: 3, column: 1 }])
    expect(parseDataYaml('outer:\n  x: 1\n  x: 2\n').problems).toEqual([
      { code: 'INVALID_YAML', message: 'Map keys must be unique', line: 3, column: 3 },
    ])
    expect(parseDataYaml('list: [{a: 1, a: 2}]').problems).toMatchObject([{ code: 'INVALID_YAML', message: 'Map keys must be unique' }])
    expect(parseDataYaml('"a": 1\na: 2\n').problems).toHaveLength(1)
  })

  it('keeps keys whose values differ in type, as yaml does (1 and "1", true and "true")', () => {
    expect(parseDataYaml('1: a\n"1": b\ntrue: c\n"true": d\n').problems).toEqual([])
  })

  it('the same key in two different maps is no repeat', () => {
    expect(parseDataYaml('a: {x: 1}\nb: {x: 2}\n').value).toEqual({ a: { x: 1 }, b: { x: 2 } })
  })
})

describe('limits', () => {
  it('refuses flow collections nested deeper than the limit before parsing them', () => {
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    expect(parseDataYaml(text).problems).toEqual([{ code: 'YAML_LIMITS', message: `maps and lists nest more than ${MAX_YAML_DEPTH} levels deep` }])
  })

  it('refuses a file of deeply nested lines without exhausting memory', () => {
    // Each line overflowed yaml's composer; two hundred of them took the process past 1 GB.
    const line = `- ${'['.repeat(5000)}${']'.repeat(5000)}\n`
    expect(parseDataYaml(line.repeat(200)).problems).toMatchObject([{ code: 'YAML_LIMITS' }])
  })

  it('refuses block maps nested deeper than the limit, and deeper than the composer can go', () => {
    const nested = (depth: number) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n')
    expect(parseDataYaml(nested(MAX_YAML_DEPTH)).problems).toEqual([])
    expect(parseDataYaml(nested(MAX_YAML_DEPTH + 1)).problems).toMatchObject([{ code: 'YAML_LIMITS' }])
    expect(parseDataYaml(nested(1500)).problems).toMatchObject([{ code: 'YAML_LIMITS' }])
  })

  it('a few unclosed brackets inside strings are not nesting', () => {
    expect(parseDataYaml('pattern: "[[[["\nnote: "{{"\n').value).toEqual({ pattern: '[[[[', note: '{{' })
  })

  it('refuses more values than allowed', () => {
    const text = Array.from({ length: 100 }, (_, i) => `- ${i}`).join('\n')
    expect(parseDataYaml(text, { maxNodes: 101 }).problems).toEqual([])
    expect(parseDataYaml(text, { maxNodes: 100 }).problems).toEqual([{ code: 'YAML_LIMITS', message: 'more than 100 values' }])
  })

  it('still takes the alias cap as a number', () => {
    const text = 'a: &x [1]\nb: [*x, *x, *x]\n'
    expect(parseDataYaml(text, 2).problems).toMatchObject([{ code: 'YAML_ALIASES' }])
    expect(parseDataYaml(text, { maxAliases: 2 }).problems).toMatchObject([{ code: 'YAML_ALIASES' }])
    expect(parseDataYaml(text).value).toEqual({ a: [1], b: [[1], [1], [1]] })
  })
})
