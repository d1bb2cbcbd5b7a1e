import fc from 'fast-check'

// Fragments a hostile user reaches for: traversal, separators of other systems, control
// characters, look-alikes and encodings. Mixed with arbitrary text, they reach the branches
// that plain random strings almost never hit.
const FRAGMENTS = [
  '..', '.', '/', '//', '\\', '\u0000', '\n', '\r', '\t', '\u007f', ' ', '%2e%2e', '%2f', '~', '$', '*',
  '"', "'", ',', '=', ':', '#', 'é', '\u202e', '\uff0e', '\ud800', '__proto__', 'constructor', 'a', 'Z', '0', '9', '-', '_',
]

/** Strings built from hostile fragments and arbitrary characters. */
export const hostileString = (maxLength = 12): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 3, unit: 'binary' })), { maxLength })
    .map((parts) => parts.join(''))

/** Anything a caller could pass where a string is expected. */
export const hostileValue = (): fc.Arbitrary<unknown> => fc.oneof(hostileString(), fc.anything())
