import { describe, expect, it } from 'vitest'
import {
  checkDescription,
  checkMetadata,
  InvalidInputError,
  MAX_DESCRIPTION_BYTES,
  MAX_METADATA_BYTES,
  MAX_METADATA_DEPTH,
} from '../src/index.js'

/** The InvalidInputError's message; fails the test when `action` does not throw one. */
function refusal(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected an InvalidInputError')
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {}
  for (let i = 1; i < depth; i++) value = { a: value }
  return value
}

describe('checkMetadata', () => {
  it('returns a JSON copy of plain data', () => {
    const input = { a: 1, b: [true, null, 'x'], c: { d: 2.5 }, constructor: 'kept', prototype: 'kept too' }
    const copy = checkMetadata(input)
    expect(copy).toEqual(input)
    expect(copy).not.toBe(input)
  })

  it('refuses numbers JSON cannot hold, naming the field, instead of storing null', () => {
    expect(refusal(() => checkMetadata(JSON.parse('{"size": {"bytes": 1e999}}')))).toBe(
      '"metadata.size.bytes" is Infinity: only finite numbers can be stored (JSON would make it null)',
    )
    expect(refusal(() => checkMetadata({ list: [1, Number.NaN] }))).toMatch(/^"metadata\.list\[1\]" is NaN/)
    expect(refusal(() => checkMetadata({ x: Number.NEGATIVE_INFINITY }))).toMatch(/^"metadata\.x" is -Infinity/)
  })

  it('refuses a field named __proto__ at any depth instead of dropping it', () => {
    expect(refusal(() => checkMetadata(JSON.parse('{"__proto__": {"admin": true}}')))).toBe('"metadata.__proto__": the field name __proto__ is not allowed')
    expect(refusal(() => checkMetadata(JSON.parse('{"a": [{"__proto__": 1}]}')))).toMatch(/"metadata\.a\[0\]\.__proto__"/)
  })

  it(`allows ${MAX_METADATA_DEPTH} levels of nesting and refuses one more, and cycles`, () => {
    expect(() => checkMetadata(nested(MAX_METADATA_DEPTH))).not.toThrow()
    expect(refusal(() => checkMetadata(nested(MAX_METADATA_DEPTH + 1)))).toMatch(`metadata nests deeper than ${MAX_METADATA_DEPTH} levels`)
    expect(refusal(() => checkMetadata(nested(100_000)))).toMatch('nests deeper')
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = cycle
    expect(refusal(() => checkMetadata(cycle))).toMatch('refers to itself')
  })

  it(`refuses more than ${MAX_METADATA_BYTES} bytes of JSON`, () => {
    const fits = { text: 'x'.repeat(MAX_METADATA_BYTES - '{"text":""}'.length) }
    expect(() => checkMetadata(fits)).not.toThrow()
    expect(refusal(() => checkMetadata({ text: `${fits.text}y` }))).toBe(
      `metadata takes ${MAX_METADATA_BYTES + 1} bytes as JSON; at most ${MAX_METADATA_BYTES} are allowed`,
    )
  })

  it('refuses a value shared along many paths without walking each of them', () => {
    // 2^40 paths through 40 objects: JSON would be astronomically long.
    let shared: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 40; i++) shared = { a: shared, b: shared }
    expect(refusal(() => checkMetadata(shared))).toMatch(`metadata holds more values than fit in ${MAX_METADATA_BYTES} bytes of JSON`)
  })

  it('refuses anything but an object at the top', () => {
    for (const value of [null, [], 'text', 3]) expect(refusal(() => checkMetadata(value))).toBe('metadata must be an object')
  })
})

describe('checkDescription', () => {
  it(`allows ${MAX_DESCRIPTION_BYTES} bytes and refuses more, counting UTF-8 bytes`, () => {
    expect(checkDescription('x'.repeat(MAX_DESCRIPTION_BYTES))).toHaveLength(MAX_DESCRIPTION_BYTES)
    expect(refusal(() => checkDescription('é'.repeat(MAX_DESCRIPTION_BYTES / 2 + 1)))).toBe(
      `description takes ${MAX_DESCRIPTION_BYTES + 2} bytes; at most ${MAX_DESCRIPTION_BYTES} are allowed`,
    )
    expect(refusal(() => checkDescription(42))).toBe('description must be a string')
  })
})
