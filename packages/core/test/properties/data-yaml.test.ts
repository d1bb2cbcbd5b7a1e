import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { parseDataYaml } from '../../src/index.js'

const CODES = ['INVALID_YAML', 'YAML_TAG', 'YAML_ALIASES']
const yamlish = fc
  .array(fc.oneof(fc.constantFrom('a: ', '- ', '\n', '  ', '&x ', '*x', '!!binary ', '!foo ', '{', '}', '[', ']', ',', '"', "'", '#', '? ', '<<: ', '---\n', '...\n', '|\n', '>\n', '%YAML 1.2\n', '__proto__: ', '1e999', '0x1F', '.nan', '~'), fc.string({ maxLength: 4 })), { maxLength: 20 })
  .map((parts) => parts.join(''))

describe('data YAML (properties)', () => {
  it('never throws: any text gives a value or a list of coded problems, not both', () => {
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 40 })), (text) => {
        const r = parseDataYaml(text)
        if (r.problems.length === 0) expect('value' in r).toBe(true)
        else {
          expect(r.value).toBeUndefined()
          for (const p of r.problems) expect(CODES).toContain(p.code)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('JSON data written as YAML reads back as the same data', () => {
    const data = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a'), fc.jsonValue({ maxDepth: 2 })))
    fc.assert(
      fc.property(data, (value) => {
        const r = parseDataYaml(YAML.stringify(value))
        expect(r.problems).toEqual([])
        expect(r.value).toEqual(value)
      }),
      { numRuns: 300 },
    )
  })

  it('a mapping that repeats a key is a problem, whatever the rest of it', () => {
    const key = fc.string({ unit: fc.constantFrom(...'abcXYZ_'.split('')), minLength: 1, maxLength: 6 })
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 8 }), fc.nat(), fc.nat(), (keys, i, j) => {
        const lines = keys.map((k, n) => `${k}: ${n}`)
        lines.splice(j % (lines.length + 1), 0, `${keys[i % keys.length]}: again`)
        const r = parseDataYaml(lines.join('\n'))
        expect(r.problems.map((p) => p.code)).toContain('INVALID_YAML')
      }),
    )
  })
})
