import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  bumpPatch,
  compareVersions,
  InvalidVersionError,
  isVersion,
  normalizeVersion,
  parseVersion,
  versionColumns,
} from '../../src/index.js'
import { hostileValue } from './hostile-strings.js'

const number = fc.oneof(fc.nat({ max: 20 }), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)).map(String)
const ALNUM = 'abcXYZ-0123456789'.split('')
const word = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 6 }).filter((s) => /[A-Za-z-]/.test(s))
// Numeric prerelease identifiers of any length: semver puts no bound on them.
const bigNumber = fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String)
const identifier = fc.oneof(number, word, bigNumber)
const prerelease = fc.array(identifier, { minLength: 1, maxLength: 4 }).map((ids) => `-${ids.join('.')}`)
const build = fc.array(fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 })
const release = fc.tuple(fc.constantFrom('', 'v'), number, number, number).map(([v, a, b, c]) => `${v}${a}.${b}.${c}`)
/** Versions without build metadata: the grammar every caller may rely on. */
const version = fc.tuple(release, fc.option(prerelease, { nil: '' })).map(([r, p]) => r + p)

function attempt<T>(f: () => T): { value: T } | { error: unknown } {
  try {
    return { value: f() }
  } catch (error) {
    return { error }
  }
}

/** The order SQL registries sort by: the v_* columns, prerelease NULL above any text, byte order. */
function columnOrder(a: string, b: string): number {
  const x = versionColumns(a)
  const y = versionColumns(b)
  const core = Math.sign(x.v_major - y.v_major || x.v_minor - y.v_minor || x.v_patch - y.v_patch)
  if (core !== 0) return core
  if (x.v_prerelease === y.v_prerelease) return 0
  if (x.v_prerelease === null) return 1
  if (y.v_prerelease === null) return -1
  return Buffer.compare(Buffer.from(x.v_prerelease), Buffer.from(y.v_prerelease))
}

describe('versions (properties)', () => {
  it('a version is accepted or refused with InvalidVersionError; an accepted one normalises idempotently to itself', () => {
    fc.assert(
      fc.property(version, (v) => {
        const r = attempt(() => normalizeVersion(v))
        if ('error' in r) {
          expect(r.error).toBeInstanceOf(InvalidVersionError)
          return
        }
        expect(normalizeVersion(r.value)).toBe(r.value)
        expect(r.value).toBe(v.replace(/^v/, ''))
        expect(compareVersions(v, r.value)).toBe(0)
      }),
      { numRuns: 300 },
    )
  })

  it('a release of safe integers is always accepted', () => {
    fc.assert(
      fc.property(release, (v) => {
        expect(isVersion(v)).toBe(true)
      }),
    )
  })

  it('with build metadata, a version is still accepted idempotently or refused with InvalidVersionError', () => {
    fc.assert(
      fc.property(version, build, (v, b) => {
        const r = attempt(() => normalizeVersion(`${v}+${b.join('.')}`))
        if ('error' in r) expect(r.error).toBeInstanceOf(InvalidVersionError)
        else expect(normalizeVersion(r.value)).toBe(r.value)
      }),
    )
  })

  it('anything else is refused with InvalidVersionError and nothing else', () => {
    fc.assert(
      fc.property(hostileValue(), (input) => {
        const r = attempt(() => parseVersion(input))
        if ('error' in r) expect(r.error).toBeInstanceOf(InvalidVersionError)
        else expect(normalizeVersion(normalizeVersion(input))).toBe(normalizeVersion(input))
      }),
      { numRuns: 300 },
    )
  })

  it('precedence is a total order that the SQL registries\' version columns reproduce', () => {
    const accepted = version.filter(isVersion)
    fc.assert(
      fc.property(accepted, accepted, accepted, (a, b, c) => {
        const ab = compareVersions(a, b)
        expect(compareVersions(b, a)).toBe(-ab || 0)
        expect(columnOrder(a, b)).toBe(ab)
        if (ab <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0)
      }),
      { numRuns: 300 },
    )
  })

  it('the next patch is a higher version, or refused with InvalidVersionError', () => {
    fc.assert(
      fc.property(version.filter(isVersion), (v) => {
        const r = attempt(() => bumpPatch(v))
        if ('error' in r) {
          expect(r.error).toBeInstanceOf(InvalidVersionError)
          return
        }
        expect(isVersion(r.value)).toBe(true)
        expect(compareVersions(r.value, v)).toBe(1)
      }),
    )
  })
})

describe('versions: cases the properties found', () => {
  it('a numeric prerelease identifier past 2^53 is refused, not rounded or printed as 1e+21', () => {
    expect(() => normalizeVersion('1.0.0-1000000000000000000000')).toThrow(InvalidVersionError)
    expect(() => normalizeVersion('1.0.0-9007199254740993')).toThrow(InvalidVersionError)
    expect(normalizeVersion('1.0.0-9007199254740991')).toBe('1.0.0-9007199254740991')
  })

  it('no patch release follows a patch of 2^53 - 1: refused rather than an unreadable version', () => {
    expect(() => bumpPatch('1.0.9007199254740991')).toThrow(InvalidVersionError)
  })
})
