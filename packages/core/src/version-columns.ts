import { VersionConflictError } from './errors/index.js'
import { parseVersion } from './semver.js'

// How SQL registries store versions so that ORDER BY gives semver precedence: shared so that
// every registry sorts the same way.

export interface VersionColumns {
  v_major: number
  v_minor: number
  v_patch: number
  /** NULL for a release; otherwise a string whose byte order is semver's prerelease order. */
  v_prerelease: string | null
}

/**
 * Encodes a prerelease so that binary text order (SQLite's, PostgreSQL's "C" collation) equals semver precedence: numeric
 * identifiers become `0` + two-digit length + digits (shorter numbers first, numbers before
 * words), words become `1` + the word, and `!` joins them because it sorts below every
 * character an identifier may hold, so a shorter list sorts first.
 */
export function versionColumns(version: string): VersionColumns {
  const v = parseVersion(version)
  const prerelease = v.prerelease.map((p) =>
    typeof p === 'number' ? `0${String(p).length.toString().padStart(2, '0')}${p}` : `1${p}`,
  )
  return {
    v_major: v.major,
    v_minor: v.minor,
    v_patch: v.patch,
    v_prerelease: prerelease.length === 0 ? null : prerelease.join('!'),
  }
}

/** ORDER BY terms for semver precedence on the `v_*` columns of table alias `t`. */
export function versionOrderSql(t: string, order: 'ASC' | 'DESC'): string {
  return [
    `${t}.v_major ${order}`,
    `${t}.v_minor ${order}`,
    `${t}.v_patch ${order}`,
    // A release sorts above its prereleases.
    `(${t}.v_prerelease IS NULL) ${order}`,
    `${t}.v_prerelease ${order}`,
  ].join(', ')
}

/**
 * Build metadata does not affect precedence (semver §10), so `1.0.0` and `1.0.0+build.7` would
 * be two versions that `latest`, ranges and sorting cannot tell apart: a registry refuses the
 * second, whatever its content, inside the transaction that would insert it.
 */
export function buildMetadataConflict(key: string, version: string, registered: string): VersionConflictError {
  return new VersionConflictError(
    `${key}@${version} differs from the registered ${key}@${registered} only in build metadata, which semantic versioning ignores: ` +
      'give the new content a new version number',
  )
}
