import { versionColumns } from '@assets/core'
import type BetterSqlite3 from 'better-sqlite3'

/** Another registered version of `key` (deleted or not) equal to `version` but for build metadata. */
export function samePrecedence(db: BetterSqlite3.Database, key: string, version: string): string | undefined {
  const v = versionColumns(version)
  return db
    .prepare<unknown[], { version: string }>(
      'SELECT version FROM versions WHERE key = ? AND version <> ? AND v_major = ? AND v_minor = ? AND v_patch = ? AND v_prerelease IS ? LIMIT 1',
    )
    .get(key, version, v.v_major, v.v_minor, v.v_patch, v.v_prerelease)?.version
}
