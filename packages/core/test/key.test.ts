import { describe, expect, it } from 'vitest'
import { InvalidKeyError, isValidKey, MAX_KEY_LENGTH, validateKey } from '../src/index.js'

describe('validateKey', () => {
  it('accepts path-like keys of letters, digits, dot, underscore and dash', () => {
    for (const key of ['pbmc3k', 'datasets/tabula-sapiens/v2_raw.h5ad', 'a/b/c', '.hidden', `${'x'.repeat(250)}/${'y'.repeat(250)}`]) {
      expect(validateKey(key)).toBe(key)
    }
  })

  const refused: Array<[string, unknown, string]> = [
    ['parent segment', '../etc/passwd', '".." segment'],
    ['inner parent segment', 'a/../b', '".." segment'],
    ['dot segment', 'a/./b', '"." segment'],
    ['absolute path', '/etc/passwd', 'absolute'],
    ['backslash', 'a\\b', 'backslash'],
    ['NUL', 'a\u0000b', 'NUL'],
    ['newline', 'a\nb', 'control'],
    ['empty', '', 'empty'],
    ['empty segment', 'a//b', 'empty segment'],
    ['trailing slash', 'a/', 'ends with /'],
    ['too long', 'k'.repeat(MAX_KEY_LENGTH + 1), 'characters long'],
    ['space', 'a b', 'segments may only contain'],
    ['unicode', 'données', 'segments may only contain'],
    ['not a string', 42, 'must be a string'],
  ]
  for (const [what, key, message] of refused) {
    it(`refuses a key with ${what}`, () => {
      expect(() => validateKey(key)).toThrow(InvalidKeyError)
      expect(() => validateKey(key)).toThrow(message)
      expect(isValidKey(key)).toBe(false)
    })
  }

  it('errors carry the stable code and survive a second copy of core', () => {
    try {
      validateKey('../x')
      expect.unreachable()
    } catch (error) {
      expect(InvalidKeyError.isInstance(error)).toBe(true)
      expect((error as InvalidKeyError).code).toBe('INVALID_KEY')
      // A structurally identical error from another copy of the package is recognised too.
      const foreign = Object.assign(new Error('x'), { code: 'INVALID_KEY', [Symbol.for('@assets/core/AssetError')]: true })
      expect(InvalidKeyError.isInstance(foreign)).toBe(true)
      expect(InvalidKeyError.isInstance(new Error('plain'))).toBe(false)
    }
  })
})
