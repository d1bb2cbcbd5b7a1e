import type { SqlDialect } from './dialect.js'
import { SqlParams } from './sql-params.js'
import type { SqlSession } from './sql-session.js'

// Locations per statement: far below every dialect's limit on bound values.
const CHUNK = 500

/**
 * Takes leases of one kind (a put's hold, or gc's claim) on what no live lease of the other
 * kind, held by someone else, covers; returns what it could not take. The caller holds the
 * catalogue's lease lock, so a hold and a claim of one location always see each other.
 *
 * Holds and claims are kept in two tables, each indexed for the side that reads it. A put
 * writes a hold per blob (10⁵ for a folder of 10⁵ files) and reads only claims, so holds have
 * no index on their location: inserting 10⁵ random locations into one cost a 10⁵-file put
 * 1.6 s more in SQLite (BENCHMARKS.md). gc, which runs rarely, reads the live holds once per
 * claim instead; claims keep their (location, holder) key, which every hold looks up.
 */
export async function takeLeases(s: SqlSession, d: SqlDialect, holder: string, locations: readonly string[], ttlMs: number, claim: boolean): Promise<string[]> {
  const wanted = [...new Set(locations)]
  return claim ? await takeClaims(s, d, holder, wanted, ttlMs) : await takeHolds(s, d, holder, wanted, ttlMs)
}

async function takeHolds(s: SqlSession, d: SqlDialect, holder: string, wanted: readonly string[], ttlMs: number): Promise<string[]> {
  const refused: string[] = []
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const chunk = wanted.slice(i, i + CHUNK)
    const p = new SqlParams((n) => d.placeholder(n))
    const blocked = await s.all<{ location: string }>(
      `SELECT DISTINCT location FROM ${d.tables.contentClaims} WHERE location IN (${p.list(chunk)})
       AND holder <> ${p.add(holder)} AND expires_at > ${d.leaseNow(p)}`,
      p.values,
    )
    const refusedHere = new Set(blocked.map((r) => r.location))
    refused.push(...chunk.filter((l) => refusedHere.has(l)))
    const taken = chunk.filter((l) => !refusedHere.has(l))
    if (taken.length === 0) continue
    // A location held twice by one holder is two rows: both live as long as the holder, and
    // both go at its release, so no key is needed to merge them.
    const q = new SqlParams((n) => d.placeholder(n))
    const rows = taken.map((l) => `(${q.add(l)}, ${q.add(holder)}, ${d.leaseExpiry(ttlMs, q)})`)
    await s.run(`INSERT INTO ${d.tables.contentHolds} (location, holder, expires_at) VALUES ${rows.join(', ')}`, q.values)
  }
  return refused
}

async function takeClaims(s: SqlSession, d: SqlDialect, holder: string, wanted: readonly string[], ttlMs: number): Promise<string[]> {
  if (wanted.length === 0) return []
  // One pass over the live holds of everyone else (they have no location index, see above).
  const p = new SqlParams((n) => d.placeholder(n))
  const held = await s.all<{ location: string }>(
    // No DISTINCT: MySQL's binary collation ignores trailing spaces there and would merge two locations; the Set does it.
    `SELECT location FROM ${d.tables.contentHolds} WHERE holder <> ${p.add(holder)} AND expires_at > ${d.leaseNow(p)}`,
    p.values,
  )
  const heldSet = new Set(held.map((r) => r.location))
  const taken = wanted.filter((l) => !heldSet.has(l))
  for (let i = 0; i < taken.length; i += CHUNK) {
    const q = new SqlParams((n) => d.placeholder(n))
    const rows = taken.slice(i, i + CHUNK).map((l) => `(${q.add(l)}, ${q.add(holder)}, ${d.leaseExpiry(ttlMs, q)})`)
    await s.run(d.upsert(d.tables.contentClaims, ['location', 'holder', 'expires_at'], rows, ['location', 'holder'], { expires_at: 'greatest' }), q.values)
  }
  return wanted.filter((l) => heldSet.has(l))
}

export async function renewLeases(s: SqlSession, d: SqlDialect, holder: string, ttlMs: number): Promise<void> {
  for (const t of [d.tables.contentHolds, d.tables.contentClaims]) {
    const p = new SqlParams((n) => d.placeholder(n))
    const expiry = d.leaseExpiry(ttlMs, p)
    await s.run(`UPDATE ${t} SET expires_at = ${expiry} WHERE holder = ${p.add(holder)} AND expires_at > ${d.leaseNow(p)}`, p.values)
  }
}

/** Ends a holder's leases (on `locations`, or all), and every lease that has lapsed. */
export async function releaseLeases(s: SqlSession, d: SqlDialect, holder: string, locations: readonly string[] | undefined): Promise<void> {
  const place = (n: number): string => d.placeholder(n)
  for (const t of [d.tables.contentHolds, d.tables.contentClaims]) {
    if (locations === undefined) await s.run(`DELETE FROM ${t} WHERE holder = ${place(1)}`, [holder])
    else {
      for (let i = 0; i < locations.length; i += CHUNK) {
        const p = new SqlParams(place)
        await s.run(`DELETE FROM ${t} WHERE holder = ${p.add(holder)} AND location IN (${p.list(locations.slice(i, i + CHUNK))})`, p.values)
      }
    }
    const p = new SqlParams(place)
    await s.run(`DELETE FROM ${t} WHERE expires_at <= ${d.leaseNow(p)}`, p.values)
  }
}
