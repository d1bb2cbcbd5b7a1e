import { pickLatest, versionColumns } from '@assets/core'
import type { SqlDialect } from './dialect.js'
import type { SqlSession } from './sql-session.js'

/**
 * Recomputes which version of a key is `latest` (highest live release, else highest live
 * prerelease) and which is its `head` (the latest, or for a key whose every version is
 * deleted, the latest of the deleted ones). Runs inside the caller's transaction, under the
 * key's lock.
 */
export async function refreshLatest(s: SqlSession, d: SqlDialect, key: string): Promise<void> {
  const t = d.tables.versions
  const $ = (i: number): string => d.placeholder(i)
  const rows = await s.all<{ version: string; deleted_at: string | null }>(`SELECT version, deleted_at FROM ${t} WHERE "key" = ${$(1)}`, [key])
  const latest = pickLatest(rows.filter((r) => r.deleted_at === null).map((r) => r.version)) ?? null
  const head = latest ?? pickLatest(rows.map((r) => r.version)) ?? null
  // Cleared first: the unique indexes allow one flagged row per key at every moment.
  await s.run(
    `UPDATE ${t} SET is_latest = ${d.flag(false)}, is_head = ${d.flag(false)} WHERE "key" = ${$(1)} AND (${d.isSet('is_latest')} OR ${d.isSet('is_head')})`,
    [key],
  )
  if (head === null) return
  // latest is null only when every version is deleted; the head is then a deleted one.
  const is = (n: number): string => `CASE WHEN version = ${$(n)} THEN ${d.flag(true)} ELSE ${d.flag(false)} END`
  await s.run(`UPDATE ${t} SET is_latest = ${is(1)}, is_head = ${is(2)} WHERE "key" = ${$(3)} AND version IN (${$(4)}, ${$(5)})`, [
    latest ?? '',
    head,
    key,
    latest ?? head,
    head,
  ])
}

/** Another registered version of `key` (deleted or not) equal to `version` but for build metadata. */
export async function samePrecedence(s: SqlSession, d: SqlDialect, key: string, version: string): Promise<string | undefined> {
  const v = versionColumns(version)
  const $ = (i: number): string => d.placeholder(i)
  const prerelease = v.v_prerelease === null ? 'v_prerelease IS NULL' : `v_prerelease = ${$(6)}`
  const params = [key, version, v.v_major, v.v_minor, v.v_patch, ...(v.v_prerelease === null ? [] : [v.v_prerelease])]
  const [row] = await s.all<{ version: string }>(
    `SELECT version FROM ${d.tables.versions} WHERE "key" = ${$(1)} AND version <> ${$(2)} AND v_major = ${$(3)} AND v_minor = ${$(4)}
     AND v_patch = ${$(5)} AND ${prerelease} LIMIT 1`,
    params,
  )
  return row?.version
}
