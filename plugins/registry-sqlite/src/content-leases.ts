import type BetterSqlite3 from 'better-sqlite3'

/**
 * Takes leases of one kind (`claim` 0: a put's hold, 1: gc's claim) on what no live lease of
 * the other kind, held by someone else, covers; returns what it could not take.
 */
export function takeLeases(db: BetterSqlite3.Database, holder: string, locations: string[], ttlMs: number, claim: 0 | 1): string[] {
  const now = Date.now()
  const blocked = db.prepare<[string, number, string, number], { one: number }>(
    'SELECT 1 AS one FROM content_leases WHERE location = ? AND claim = ? AND holder <> ? AND expires_at > ? LIMIT 1',
  )
  const upsert = db.prepare<[string, string, number, number]>(
    `INSERT INTO content_leases (location, holder, claim, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (location, holder) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
  )
  const refused: string[] = []
  for (const location of locations) {
    if (blocked.get(location, 1 - claim, holder, now)) refused.push(location)
    else upsert.run(location, holder, claim, now + ttlMs)
  }
  return refused
}

export function renewLeases(db: BetterSqlite3.Database, holder: string, ttlMs: number): void {
  const now = Date.now()
  db.prepare('UPDATE content_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?').run(now + ttlMs, holder, now)
}

/** Ends a holder's leases (on `locations`, or all), and every lease that has lapsed. */
export function releaseLeases(db: BetterSqlite3.Database, holder: string, locations: string[] | undefined): void {
  if (locations === undefined) db.prepare('DELETE FROM content_leases WHERE holder = ?').run(holder)
  else {
    const drop = db.prepare('DELETE FROM content_leases WHERE holder = ? AND location = ?')
    for (const location of locations) drop.run(holder, location)
  }
  db.prepare('DELETE FROM content_leases WHERE expires_at <= ?').run(Date.now())
}
