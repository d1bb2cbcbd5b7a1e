import { posix } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidKeyError, isValidKey, MAX_KEY_LENGTH, validateKey } from '../../src/index.js'
import { hostileString, hostileValue } from './hostile-strings.js'

const SEGMENT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split('')
const segment = fc
  .string({ unit: fc.constantFrom(...SEGMENT_CHARS), minLength: 1, maxLength: 40 })
  .filter((s) => s !== '.' && s !== '..')
const validKey = fc.array(segment, { minLength: 1, maxLength: 8 }).map((s) => s.join('/'))

/** What every backend relies on: a key used as a relative path stays under its folder. */
function staysUnder(key: string): boolean {
  return posix.normalize(key) === key && posix.join('/root', key).startsWith('/root/')
}

function outcome(input: unknown): { key: string } | { error: unknown } {
  try {
    return { key: validateKey(input) }
  } catch (error) {
    return { error }
  }
}

describe('asset keys (properties)', () => {
  it('a key of allowed segments is accepted unchanged, and validating again changes nothing', () => {
    fc.assert(
      fc.property(validKey, (key) => {
        expect(validateKey(key)).toBe(key)
        expect(validateKey(validateKey(key))).toBe(key)
        expect(isValidKey(key)).toBe(true)
        expect(staysUnder(key)).toBe(true)
      }),
    )
  })

  it('any input is either a key that stays under its folder or an InvalidKeyError, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString(), hostileValue(), validKey.map((k) => `${k}/..`)), (input) => {
        const r = outcome(input)
        if ('key' in r) {
          expect(r.key).toBe(input)
          expect(r.key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH)
          expect(staysUnder(r.key)).toBe(true)
          expect(r.key).toMatch(/^[A-Za-z0-9._/-]+$/)
        } else {
          expect(InvalidKeyError.isInstance(r.error)).toBe(true)
          expect(r.error).toBeInstanceOf(InvalidKeyError)
          expect(isValidKey(input)).toBe(false)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('a valid key with one hostile character inserted is refused with InvalidKeyError', () => {
    const bad = fc.constantFrom('\u0000', '\n', '\\', ' ', 'é', '\u007f', '%', ':', '*')
    fc.assert(
      fc.property(validKey, bad, fc.nat(), (key, c, at) => {
        const i = at % (key.length + 1)
        expect(() => validateKey(key.slice(0, i) + c + key.slice(i))).toThrow(InvalidKeyError)
      }),
    )
  })
})
