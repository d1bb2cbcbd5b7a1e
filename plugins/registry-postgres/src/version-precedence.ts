import { versionColumns } from '@assets/core'
import type { Queryable } from './postgres-client.js'
import { run } from './sql-params.js'
import type { Tables } from './tables.js'

/** Another registered version of `key` (deleted or not) equal to `version` but for build metadata. */
export async function samePrecedence(db: Queryable, t: Tables, key: string, version: string): Promise<string | undefined> {
  const v = versionColumns(version)
  const [row] = await run<{ version: string }>(
    db,
    `SELECT version FROM ${t.versions} WHERE key = $1 AND version <> $2 AND v_major = $3 AND v_minor = $4 AND v_patch = $5
       AND v_prerelease IS NOT DISTINCT FROM $6 LIMIT 1`,
    [key, version, v.v_major, v.v_minor, v.v_patch, v.v_prerelease],
  )
  return row?.version
}
