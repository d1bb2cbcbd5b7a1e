import type { Lane } from './connection-lanes.js'
import type { Queryable } from './postgres-client.js'
import { isConnectionFailure } from './postgres-errors.js'

export interface TransactionOptions {
  /** One snapshot for every statement, and no writes. */
  readOnlySnapshot?: boolean
  /** Called once BEGIN has succeeded: from then on, running the work again is not known to be safe. */
  onBegin?: () => void
}

/**
 * Runs `fn` in a transaction on a lane's single connection. After a connection failure
 * nothing more is sent on it (the server has rolled the transaction back already) and the
 * lane pool discards the lane.
 */
export async function transaction<T>(lane: Lane, options: TransactionOptions, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const tx = lane.sql
  await tx.unsafe(options.readOnlySnapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN')
  options.onBegin?.()
  try {
    const result = await fn(tx)
    await tx.unsafe('COMMIT')
    return result
  } catch (error) {
    if (!isConnectionFailure(error)) {
      await tx.unsafe('ROLLBACK').catch(() => {
        // A lane whose ROLLBACK failed is in an unknown state: never lend it again.
        lane.broken = true
      })
    }
    throw error
  }
}
