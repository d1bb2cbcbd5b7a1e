import type { SqlDialect } from './dialect.js'
import { SqlParams } from './sql-params.js'
import type { SqlSession } from './sql-session.js'

// Locations per statement: far below every dialect's limit on bound values.
const CHUNK = 500

/**
 * Takes leases of one kind (a put's hold, or gc's claim) on what no live lease of the other
 * kind, held by someone else, covers; returns what it could not take. The caller holds the
 * catalogue's lease lock, so a hold and a claim of one location always see each other.
 */
export async function takeLeases(s: SqlSession, d: SqlDialect, holder: string, locations: readonly string[], ttlMs: number, claim: boolean): Promise<string[]> {
  const t = d.tables.contentLeases
  const refused: string[] = []
  const wanted = [...new Set(locations)]
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const chunk = wanted.slice(i, i + CHUNK)
    const p = new SqlParams((n) => d.placeholder(n))
    const blocked = await s.all<{ location: string }>(
      `SELECT DISTINCT location FROM ${t} WHERE location IN (${p.list(chunk)})
       AND claim = ${d.flag(!claim)} AND holder <> ${p.add(holder)} AND expires_at > ${d.leaseNow(p)}`,
      p.values,
    )
    const refusedHere = new Set(blocked.map((r) => r.location))
    refused.push(...chunk.filter((l) => refusedHere.has(l)))
    const taken = chunk.filter((l) => !refusedHere.has(l))
    if (taken.length === 0) continue
    const q = new SqlParams((n) => d.placeholder(n))
    const rows = taken.map((l) => `(${q.add(l)}, ${q.add(holder)}, ${d.flag(claim)}, ${d.leaseExpiry(ttlMs, q)})`)
    await s.run(d.upsert(t, ['location', 'holder', 'claim', 'expires_at'], rows, ['location', 'holder'], { expires_at: 'greatest' }), q.values)
  }
  return refused
}

export async function renewLeases(s: SqlSession, d: SqlDialect, holder: string, ttlMs: number): Promise<void> {
  const p = new SqlParams((n) => d.placeholder(n))
  const expiry = d.leaseExpiry(ttlMs, p)
  await s.run(`UPDATE ${d.tables.contentLeases} SET expires_at = ${expiry} WHERE holder = ${p.add(holder)} AND expires_at > ${d.leaseNow(p)}`, p.values)
}

/** Ends a holder's leases (on `locations`, or all), and every lease that has lapsed. */
export async function releaseLeases(s: SqlSession, d: SqlDialect, holder: string, locations: readonly string[] | undefined): Promise<void> {
  const t = d.tables.contentLeases
  const place = (n: number): string => d.placeholder(n)
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
