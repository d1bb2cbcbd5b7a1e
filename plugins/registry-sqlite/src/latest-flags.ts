import { pickLatest } from '@assets/core'
import type BetterSqlite3 from 'better-sqlite3'

/**
 * Recomputes which version of a key is `latest` (highest live release, else highest live
 * prerelease) and which is its `head` (the latest, or for a key whose every version is
 * deleted, the latest of the deleted ones). Runs inside the caller's write transaction.
 */
export function refreshLatest(db: BetterSqlite3.Database, key: string): void {
  const rows = db.prepare<[string], { version: string; deleted_at: string | null }>('SELECT version, deleted_at FROM versions WHERE key = ?').all(key)
  const latest = pickLatest(rows.filter((r) => r.deleted_at === null).map((r) => r.version)) ?? null
  const head = latest ?? pickLatest(rows.map((r) => r.version)) ?? null
  // Cleared first: the partial unique indexes allow one flagged row per key at every moment.
  db.prepare('UPDATE versions SET is_latest = 0, is_head = 0 WHERE key = ? AND (is_latest = 1 OR is_head = 1)').run(key)
  db.prepare('UPDATE versions SET is_latest = 1 WHERE key = ? AND version = ?').run(key, latest)
  db.prepare('UPDATE versions SET is_head = 1 WHERE key = ? AND version = ?').run(key, head)
}
