import type { Queryable } from './postgres-client.js'
import { run } from './sql-params.js'
import type { Tables } from './tables.js'

// pickLatest's order: releases above prereleases, then semver precedence, then (for versions
// that differ only in build metadata) the highest text, as a stable sort of the rows in key
// order leaves it.
const LATEST_FIRST = '(v_prerelease IS NULL) DESC, v_major DESC, v_minor DESC, v_patch DESC, v_prerelease DESC, version DESC'

/**
 * Recomputes which version of a key is `latest` (highest live release, else highest live
 * prerelease) and which is its `head` (the latest, or for a key whose every version is
 * deleted, the latest of the deleted ones). Runs inside the caller's transaction, under the
 * key's lock.
 */
export async function refreshLatest(tx: Queryable, tables: Tables, key: string): Promise<void> {
  // Cleared first (a WITH that modifies data runs whether or not it is read): the partial
  // unique indexes allow one flagged row per key at every moment, and PostgreSQL checks them
  // row by row within a statement.
  const [pick] = await run<{ latest: string | null; head: string | null }>(
    tx,
    `WITH cleared AS (
       UPDATE ${tables.versions} SET is_latest = FALSE, is_head = FALSE WHERE key = $1 AND (is_latest OR is_head) RETURNING 1
     )
     SELECT (SELECT version FROM ${tables.versions} WHERE key = $1 AND deleted_at IS NULL ORDER BY ${LATEST_FIRST} LIMIT 1) AS latest,
            (SELECT version FROM ${tables.versions} WHERE key = $1 ORDER BY ${LATEST_FIRST} LIMIT 1) AS head`,
    [key],
  )
  const latest = pick?.latest ?? null
  const head = latest ?? pick?.head ?? null
  if (head === null) return
  await run(
    tx,
    `UPDATE ${tables.versions} SET is_latest = (version = $2) IS TRUE, is_head = (version = $3) WHERE key = $1 AND version IN ($2, $3)`,
    [key, latest, head],
  )
}
