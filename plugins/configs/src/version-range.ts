import { compareVersions, InvalidInputError, parseVersion, type SemVer } from '@assets/core'

/** One bound of a range: `>=1.2.0`, `<2.0.0-0`, or an exact `=1.2.3`. */
interface Comparator {
  op: '<' | '<=' | '>' | '>=' | '='
  version: SemVer
}

/**
 * A parsed npm-style range: alternatives (`||`) of comparator sets that must all hold.
 * Supports exact versions, `^`, `~`, `>`, `>=`, `<`, `<=`, `=`, x-ranges (`1.x`, `1.2.*`, `*`)
 * and hyphen ranges (`1.2 - 2.3.4`).
 */
export interface VersionRange {
  raw: string
  sets: Comparator[][]
}

const MAX_RANGE_LENGTH = 256
const WILDCARD = /^[xX*]$/
const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*])(?:\.(\d+|[xX*])(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?)?)?$/

/** A version with some parts missing or wildcards: `1`, `1.2`, `1.x`, `1.2.3-rc.1`. */
interface Partial {
  major?: number
  minor?: number
  patch?: number
  prerelease: Array<string | number>
}

function invalid(raw: string, why: string): InvalidInputError {
  return new InvalidInputError(`invalid version range ${JSON.stringify(raw)}: ${why}`)
}

function parsePartial(text: string, raw: string): Partial {
  const m = PARTIAL.exec(text)
  if (!m) throw invalid(raw, `"${text}" is not a version`)
  const num = (s: string | undefined): number | undefined => {
    if (s === undefined || WILDCARD.test(s)) return undefined
    const n = Number(s)
    if (!Number.isSafeInteger(n)) throw invalid(raw, `"${s}" is too large`)
    return n
  }
  const major = num(m[1])
  const minor = major === undefined ? undefined : num(m[2])
  const patch = minor === undefined ? undefined : num(m[3])
  const prerelease = patch !== undefined && m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : []
  return { major, minor, patch, prerelease }
}

const v = (major: number, minor: number, patch: number, prerelease: Array<string | number> = []): SemVer => ({
  major,
  minor,
  patch,
  prerelease,
  build: [],
})

/** The first version above every version the partial matches (`1.2` → `1.3.0-0`). */
function ceiling(p: Partial): SemVer | undefined {
  if (p.major === undefined) return undefined
  if (p.minor === undefined) return v(p.major + 1, 0, 0, [0])
  if (p.patch === undefined) return v(p.major, p.minor + 1, 0, [0])
  return undefined
}

const floor = (p: Partial): SemVer => v(p.major ?? 0, p.minor ?? 0, p.patch ?? 0, p.prerelease)

function caret(p: Partial): Comparator[] {
  if (p.major === undefined) return []
  const low: Comparator = { op: '>=', version: floor(p) }
  let high: SemVer
  if (p.major > 0 || p.minor === undefined) high = v(p.major + 1, 0, 0, [0])
  else if (p.minor > 0 || p.patch === undefined) high = v(0, p.minor + 1, 0, [0])
  else high = v(0, 0, p.patch + 1, [0])
  return [low, { op: '<', version: high }]
}

function tilde(p: Partial): Comparator[] {
  if (p.major === undefined) return []
  const high = p.minor === undefined ? v(p.major + 1, 0, 0, [0]) : v(p.major, p.minor + 1, 0, [0])
  return [{ op: '>=', version: floor(p) }, { op: '<', version: high }]
}

function primitive(op: string, p: Partial): Comparator[] {
  const top = ceiling(p)
  switch (op) {
    case '>':
      if (p.major === undefined) return [{ op: '<', version: v(0, 0, 0, [0]) }]
      return top ? [{ op: '>=', version: top.prerelease.length ? v(top.major, top.minor, top.patch) : top }] : [{ op: '>', version: floor(p) }]
    case '>=':
      return p.major === undefined ? [] : [{ op: '>=', version: floor(p) }]
    case '<':
      if (p.major === undefined) return [{ op: '<', version: v(0, 0, 0, [0]) }]
      return [{ op: '<', version: p.patch === undefined ? v(p.major, p.minor ?? 0, 0, [0]) : floor(p) }]
    case '<=':
      if (p.major === undefined) return []
      return top ? [{ op: '<', version: top }] : [{ op: '<=', version: floor(p) }]
    default:
      // A bare or `=` partial is an x-range: `1.2` means `>=1.2.0 <1.3.0-0`.
      if (p.major === undefined) return []
      return top ? [{ op: '>=', version: floor(p) }, { op: '<', version: top }] : [{ op: '=', version: floor(p) }]
  }
}

function parseSet(text: string, raw: string): Comparator[] {
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text)
  if (hyphen) {
    const low = parsePartial(hyphen[1]!, raw)
    const high = parsePartial(hyphen[2]!, raw)
    return [...primitive('>=', low), ...primitive('<=', high)]
  }
  // Operators may be followed by spaces (`>= 1.2`): glue them to their version first.
  const tokens = text.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean)
  if (tokens.length === 0) return []
  return tokens.flatMap((token) => {
    const m = /^(\^|~>?|>=|<=|>|<|=)?(.*)$/.exec(token)!
    const op = m[1] ?? ''
    const partial = parsePartial(m[2]!, raw)
    if (op === '^') return caret(partial)
    if (op.startsWith('~')) return tilde(partial)
    return primitive(op, partial)
  })
}

export function parseRange(input: unknown): VersionRange {
  if (typeof input !== 'string' || input.length > MAX_RANGE_LENGTH) {
    throw new InvalidInputError(`invalid version range ${JSON.stringify(input)}: expected a string like "^1.2" of at most ${MAX_RANGE_LENGTH} characters`)
  }
  const raw = input.trim()
  return { raw, sets: raw.split('||').map((s) => parseSet(s.trim(), raw)) }
}

function holds(c: Comparator, version: SemVer): boolean {
  const d = compareVersions(version, c.version)
  switch (c.op) {
    case '<':
      return d < 0
    case '<=':
      return d <= 0
    case '>':
      return d > 0
    case '>=':
      return d >= 0
    default:
      return d === 0
  }
}

const sameTuple = (a: SemVer, b: SemVer) => a.major === b.major && a.minor === b.minor && a.patch === b.patch

/**
 * As npm does, a prerelease only matches a set that names a prerelease of the same
 * major.minor.patch: `^1.2.0` does not pick up `1.3.0-rc.1`, `>=1.3.0-rc.0` does.
 */
function setAccepts(set: Comparator[], version: SemVer): boolean {
  if (!set.every((c) => holds(c, version))) return false
  if (version.prerelease.length === 0) return true
  return set.some((c) => c.version.prerelease.length > 0 && sameTuple(c.version, version) && !(c.op === '<' && c.version.prerelease[0] === 0))
}

export function satisfies(version: string | SemVer, range: string | VersionRange): boolean {
  const v = typeof version === 'string' ? parseVersion(version) : version
  const r = typeof range === 'string' ? parseRange(range) : range
  return r.sets.some((set) => setAccepts(set, v))
}
