import { createHash } from 'node:crypto'
import { BackendUnavailableError } from '@assets/core'
import type { WriteLock } from '@assets/registry-sql'
import type { PoolConnection } from 'mysql2/promise'

/** How long a mutation waits for another one of the same key (or the migration) before giving up. */
export const LOCK_WAIT_SECONDS = 60

/**
 * The name of a named lock (GET_LOCK): names are server-wide and at most 64 characters, so the
 * database keeps catalogues apart and a key is hashed. A hash collision between two keys only
 * makes them queue behind each other.
 */
export function lockName(database: string, lock: Exclude<WriteLock, undefined> | 'migrate'): string {
  const what = typeof lock === 'string' ? lock : `key\u0000${lock.key}`
  return `assets:${createHash('sha256').update(`${database}\u0000${what}`).digest('hex').slice(0, 40)}`
}

/**
 * Takes a named lock for this connection's session. Named locks are not transactional: the
 * caller takes it before BEGIN and releases it after COMMIT or ROLLBACK (in `finally`); if the
 * connection dies first, the server releases it with the session.
 */
export async function takeNamedLock(connection: PoolConnection, name: string, target: string): Promise<void> {
  const [rows] = await connection.query({ sql: 'SELECT GET_LOCK(?, ?) AS got', values: [name, LOCK_WAIT_SECONDS] })
  const got = (rows as Array<{ got: number | null }>)[0]?.got
  if (got !== 1) throw new BackendUnavailableError('mysql', `waited ${LOCK_WAIT_SECONDS} s for a write lock on ${target} held by another mutation`)
}

export async function releaseNamedLock(connection: PoolConnection, name: string): Promise<void> {
  await connection.query({ sql: 'SELECT RELEASE_LOCK(?) AS released', values: [name] })
}
