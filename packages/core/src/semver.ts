import { InvalidVersionError } from './errors/index.js'

export interface SemVer {
  major: number
  minor: number
  patch: number
  prerelease: Array<string | number>
  build: string[]
}

// The official semver.org regular expression, with an optional leading "v".
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

export function parseVersion(input: unknown): SemVer {
  if (typeof input !== 'string' || input.length > 256) {
    throw new InvalidVersionError(`invalid version ${JSON.stringify(input)}: expected a semantic version like 1.2.3`)
  }
  const m = SEMVER.exec(input.trim())
  if (!m) {
    throw new InvalidVersionError(
      `invalid version ${JSON.stringify(input)}: expected a semantic version like 1.2.3 (a leading v is allowed)`,
    )
  }
  const num = (s: string | undefined): number => {
    const n = Number(s)
    if (!Number.isSafeInteger(n)) throw new InvalidVersionError(`invalid version ${JSON.stringify(input)}: number too large`)
    return n
  }
  return {
    major: num(m[1]),
    minor: num(m[2]),
    patch: num(m[3]),
    // A numeric identifier past 2^53 would be rounded (or printed as 1e+21): refused like a
    // major, minor or patch that large, so that a version always reads back as itself.
    prerelease: m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? num(p) : p)) : [],
    build: m[5] ? m[5].split('.') : [],
  }
}

export function formatVersion(v: SemVer): string {
  let s = `${v.major}.${v.minor}.${v.patch}`
  if (v.prerelease.length > 0) s += `-${v.prerelease.join('.')}`
  if (v.build.length > 0) s += `+${v.build.join('.')}`
  return s
}

/** Parses and returns the canonical form: `v1.2.3` → `1.2.3`. */
export function normalizeVersion(input: unknown): string {
  return formatVersion(parseVersion(input))
}

export function isVersion(input: unknown): boolean {
  try {
    parseVersion(input)
    return true
  } catch {
    return false
  }
}

/** semver precedence: negative when a < b. Build metadata is ignored, as semver says. */
export function compareVersions(a: string | SemVer, b: string | SemVer): number {
  const x = typeof a === 'string' ? parseVersion(a) : a
  const y = typeof b === 'string' ? parseVersion(b) : b
  const core = x.major - y.major || x.minor - y.minor || x.patch - y.patch
  if (core !== 0) return Math.sign(core)
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return y.prerelease.length - x.prerelease.length === 0 ? 0 : x.prerelease.length === 0 ? 1 : -1
  }
  const n = Math.max(x.prerelease.length, y.prerelease.length)
  for (let i = 0; i < n; i++) {
    const p = x.prerelease[i]
    const q = y.prerelease[i]
    if (p === undefined) return -1
    if (q === undefined) return 1
    if (p === q) continue
    if (typeof p === 'number' && typeof q === 'number') return Math.sign(p - q)
    if (typeof p === 'number') return -1
    if (typeof q === 'number') return 1
    return p < q ? -1 : 1
  }
  return 0
}

export function isPrerelease(version: string): boolean {
  return parseVersion(version).prerelease.length > 0
}

/** The next patch release: 1.2.3 → 1.2.4; a prerelease 1.3.0-rc.1 → 1.3.0 (its release). */
export function bumpPatch(version: string): string {
  const v = parseVersion(version)
  if (v.prerelease.length > 0) return `${v.major}.${v.minor}.${v.patch}`
  if (!Number.isSafeInteger(v.patch + 1)) throw new InvalidVersionError(`no patch release follows ${version}: give the version`)
  return `${v.major}.${v.minor}.${v.patch + 1}`
}

/**
 * The version `latest` means: the highest release; when a key has only prereleases, the
 * highest prerelease, so that `latest` always resolves to something.
 */
export function pickLatest(versions: readonly string[]): string | undefined {
  const sorted = [...versions].sort(compareVersions)
  const releases = sorted.filter((v) => !isPrerelease(v))
  return releases.at(-1) ?? sorted.at(-1)
}
