import type { Queryable } from './postgres-client.js'
import { run } from './sql-params.js'

// First halves of the two-part advisory lock keys this plugin takes, so that they cannot
// collide with an application's own advisory locks on single bigint keys or other spaces.
export const MIGRATION_LOCK_SPACE = 0x61736d67 // "asmg"
export const KEY_LOCK_SPACE = 0x61736b79 // "asky"
export const LEASE_LOCK_SPACE = 0x61736c73 // "asls"

/**
 * Serialises every mutation of one key (its tags, ACLs, deletions and the latest flags) until
 * the transaction ends. A hash collision between two keys only makes them queue behind each
 * other; it never lets two mutations of the same key interleave.
 */
export async function lockKey(tx: Queryable, schema: string, key: string): Promise<void> {
  await run(tx, 'SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [KEY_LOCK_SPACE, keyLockName(schema, key)])
}

/** The text hashed into the second half of a key's lock: the schema keeps catalogues apart. */
export function keyLockName(schema: string, key: string): string {
  return `${schema}/${key}`
}
