import { LEASE_LOCK_SPACE } from './key-lock.js'
import type { Queryable } from './postgres-client.js'
import { run } from './sql-params.js'
import type { Tables } from './tables.js'

/**
 * Every lease call of one catalogue takes this lock for its transaction. Without it a hold and
 * a claim of the same location could each check, see nothing of the other, and both insert
 * (write skew under READ COMMITTED). The calls are one statement each, so the queue is short.
 */
async function lockLeases(tx: Queryable, tables: Tables): Promise<void> {
  await run(tx, 'SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [LEASE_LOCK_SPACE, tables.schemaName])
}

/**
 * Takes leases of one kind (`claim` false: a put's hold, true: gc's claim) on what no live
 * lease of the other kind, held by someone else, covers; returns what it could not take.
 */
export async function takeLeases(tx: Queryable, tables: Tables, holder: string, locations: string[], ttlMs: number, claim: boolean): Promise<string[]> {
  await lockLeases(tx, tables)
  const rows = await run<{ location: string }>(
    tx,
    `WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS location),
     blocked AS (
       SELECT w.location FROM wanted w WHERE EXISTS (
         SELECT 1 FROM ${tables.contentLeases} l
         WHERE l.location = w.location AND l.claim <> $3 AND l.holder <> $2 AND l.expires_at > now()
       )
     ),
     taken AS (
       INSERT INTO ${tables.contentLeases} (location, holder, claim, expires_at)
       SELECT location, $2, $3, now() + $4 * interval '1 millisecond' FROM wanted
       WHERE location NOT IN (SELECT location FROM blocked)
       ON CONFLICT (location, holder) DO UPDATE SET expires_at = greatest(${tables.contentLeases}.expires_at, excluded.expires_at)
     )
     SELECT location FROM blocked`,
    [locations, holder, claim, ttlMs],
  )
  return rows.map((r) => r.location)
}

export async function renewLeases(tx: Queryable, tables: Tables, holder: string, ttlMs: number): Promise<void> {
  await lockLeases(tx, tables)
  await run(
    tx,
    `UPDATE ${tables.contentLeases} SET expires_at = now() + $2 * interval '1 millisecond' WHERE holder = $1 AND expires_at > now()`,
    [holder, ttlMs],
  )
}

/** Ends a holder's leases (on `locations`, or all), and every lease that has lapsed. */
export async function releaseLeases(tx: Queryable, tables: Tables, holder: string, locations: string[] | undefined): Promise<void> {
  await lockLeases(tx, tables)
  if (locations === undefined) await run(tx, `DELETE FROM ${tables.contentLeases} WHERE holder = $1`, [holder])
  else await run(tx, `DELETE FROM ${tables.contentLeases} WHERE holder = $1 AND location = ANY($2::text[])`, [holder, locations])
  await run(tx, `DELETE FROM ${tables.contentLeases} WHERE expires_at <= now()`)
}
