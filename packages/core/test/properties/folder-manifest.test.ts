import { posix } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ManifestEntry } from '../../src/asset-record.js'
import { type ContentDigest, sha256 } from '../../src/digest.js'
import { IntegrityError, InvalidInputError } from '../../src/index.js'
import { checkManifestPath, decodeManifest, encodeManifest } from '../../src/manager/folder-manifest.js'
import { hostileString } from './hostile-strings.js'

const ROOT = '/cache/entry'

/** `get` writes each file at join(root, path): it must land strictly under root. */
function staysUnder(path: string): boolean {
  const target = posix.join(ROOT, path)
  return target.startsWith(`${ROOT}/`) && posix.normalize(path) === path
}

const name = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcXYZ0._- é'.split('')), minLength: 1, maxLength: 10 }),
  fc.constantFrom('...', '.hidden', 'a..b', '__proto__'),
).filter((s) => s !== '.' && s !== '..')
const safePath = fc.array(name, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))
const hostilePath = fc.oneof(
  hostileString(),
  fc.array(fc.oneof(name, fc.constantFrom('..', '.', '', '/', '\\..', '..\\..', 'a\u0000', '\n')), { minLength: 1, maxLength: 5 }).map((s) => s.join('/')),
)
const digest = fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => sha256(b))
const entry: fc.Arbitrary<ManifestEntry> = fc.record({ path: safePath, size: fc.nat(), digest })

function decodeOutcome(bytes: Uint8Array): { paths: string[] } | { error: unknown } {
  try {
    return { paths: decodeManifest(bytes, sha256(bytes)).files.map((f) => f.path) }
  } catch (error) {
    return { error }
  }
}

const typed = (error: unknown) => IntegrityError.isInstance(error) || InvalidInputError.isInstance(error)

describe('folder manifests (properties)', () => {
  it('checkManifestPath lets through only paths that stay under the folder', () => {
    fc.assert(
      fc.property(fc.oneof(hostilePath, safePath), (path) => {
        let accepted = true
        try {
          checkManifestPath(path)
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError)
          accepted = false
        }
        if (accepted) expect(staysUnder(path)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('encode then decode gives back the same entries', () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.path, maxLength: 6 }), (files) => {
        const bytes = encodeManifest(files)
        expect(decodeManifest(bytes, sha256(bytes)).files).toEqual(files)
      }),
    )
  })

  it('decode never names a path outside the folder, and refuses anything else with a typed error', () => {
    const field = fc.oneof(hostilePath, safePath, fc.anything())
    const entryLike = fc.oneof(
      fc.record({ path: field, size: fc.oneof(fc.nat(), fc.integer(), fc.anything()), digest: fc.oneof(digest, fc.anything()) }, { requiredKeys: [] }),
      fc.anything(),
    )
    const manifestLike = fc.oneof(
      fc.record({ manifestVersion: fc.oneof(fc.constant(1), fc.anything()), files: fc.oneof(fc.array(entryLike, { maxLength: 4 }), fc.anything()) }, { requiredKeys: [] }),
      fc.anything(),
    )
    const bytes = fc.oneof(
      manifestLike.map((m) => new TextEncoder().encode(JSON.stringify(m) ?? 'undefined')),
      fc.uint8Array({ maxLength: 64 }),
    )
    fc.assert(
      fc.property(bytes, (b) => {
        const r = decodeOutcome(b)
        if ('error' in r) expect(typed(r.error)).toBe(true)
        else for (const p of r.paths) expect(staysUnder(p)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('decode refuses bytes whose digest is not the one expected', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 3 }), digest, (files, other) => {
        const bytes = encodeManifest(files)
        fc.pre(other !== sha256(bytes))
        expect(() => decodeManifest(bytes, other as ContentDigest)).toThrow(IntegrityError)
      }),
    )
  })
})

describe('folder manifests: cases the properties found', () => {
  const ok = sha256(new Uint8Array([1]))
  const cases: Array<[string, string]> = [
    ['no bytes (was a SyntaxError)', ''],
    ['null (was a TypeError)', 'null'],
    ['a null entry (was a TypeError)', '{"manifestVersion":1,"files":[null]}'],
    ['a path that is a number (was a TypeError)', `{"manifestVersion":1,"files":[{"path":5,"size":1,"digest":"${ok}"}]}`],
    ['a negative size', `{"manifestVersion":1,"files":[{"path":"a","size":-1,"digest":"${ok}"}]}`],
  ]
  for (const [what, text] of cases) {
    it(`refuses ${what} with a typed error`, () => {
      const bytes = new TextEncoder().encode(text)
      let caught: unknown
      try {
        decodeManifest(bytes, sha256(bytes))
      } catch (error) {
        caught = error
      }
      expect(typed(caught)).toBe(true)
    })
  }
})
