import type { Queryable } from './postgres-client.js'

// First halves of the two-part advisory lock keys this plugin takes, so that they cannot
// collide with an application's own advisory locks on single bigint keys or other spaces.
export const MIGRATION_LOCK_SPACE = 0x61736d67 // "asmg"
export const KEY_LOCK_SPACE = 0x61736b79 // "asky"
export const LEASE_LOCK_SPACE = 0x61736c73 // "asls"

const lock = (tx: Queryable, space: number, name: string) => tx.unsafe('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [space, name], { prepare: true })

/**
 * Serialises every mutation of one key (its tags, ACLs, deletions and the latest flags) until
 * the transaction ends. A hash collision between two keys only makes them queue behind each
 * other; it never lets two mutations of the same key interleave.
 */
export async function lockKey(tx: Queryable, schema: string, key: string): Promise<void> {
  await lock(tx, KEY_LOCK_SPACE, keyLockName(schema, key))
}

/**
 * Every lease call of one catalogue takes this lock for its transaction. Without it a hold and
 * a claim of the same location could each check, see nothing of the other, and both insert
 * (write skew under READ COMMITTED). The calls are short, so the queue is short.
 */
export async function lockLeases(tx: Queryable, schema: string): Promise<void> {
  await lock(tx, LEASE_LOCK_SPACE, schema)
}

/** The text hashed into the second half of a key's lock: the schema keeps catalogues apart. */
export function keyLockName(schema: string, key: string): string {
  return `${schema}/${key}`
}
