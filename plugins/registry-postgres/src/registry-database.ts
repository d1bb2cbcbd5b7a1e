import { BackendUnavailableError } from '@assets/core'
import { type Lane, LanePool } from './connection-lanes.js'
import { lockKey } from './key-lock.js'
import { migrate } from './migrations.js'
import { createClient, type Queryable } from './postgres-client.js'
import { isConnectionLost, wrapPostgresError } from './postgres-errors.js'
import type { PostgresRegistryOptions } from './postgres-options.js'
import { type Tables, tablesIn } from './tables.js'
import { transaction } from './transaction.js'

/**
 * How the registry's operations reach the server: on a lent connection, after the schema is
 * migrated, retried when that is safe, with failures turned into the core's errors.
 */
export class RegistryDatabase {
  readonly tables: Tables
  /** `host:port/database`, for messages. */
  readonly target: string
  private readonly pool: LanePool
  private readonly schema: string
  private migration: Promise<unknown> | undefined
  private closed = false

  constructor(options: PostgresRegistryOptions) {
    const client = createClient(options)
    this.pool = new LanePool(client.open, client.maxConnections, client.target, client.first)
    this.schema = client.schema
    this.target = client.target
    this.tables = tablesIn(client.schema)
  }

  /**
   * Runs a read. A connection the server dropped fails the statement it was given; the read
   * is safe to run once more, and runs on another connection.
   */
  async read<T>(what: string, fn: (lane: Lane) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.checkOpen()
        await this.migrated()
        return await this.pool.use(fn)
      } catch (error) {
        if (attempt === 1 && isConnectionLost(error) && !this.closed) continue
        throw wrapPostgresError(error, what, this.target)
      }
    }
  }

  /**
   * Runs a mutation in one transaction, holding the key's lock when there is a key. It is run
   * again only when the connection failed before the transaction began: once statements ran,
   * the outcome of a lost commit is unknown, and the caller is told (BackendUnavailableError)
   * instead. Either way the failed connection is not used again.
   */
  async write<T>(what: string, key: string | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let began = false
      const onBegin = () => {
        began = true
      }
      try {
        this.checkOpen()
        await this.migrated()
        return await this.pool.use((lane) =>
          transaction(lane, { onBegin }, async (tx) => {
            if (key !== undefined) await lockKey(tx, this.schema, key)
            return fn(tx)
          }),
        )
      } catch (error) {
        if (attempt === 1 && !began && isConnectionLost(error) && !this.closed) continue
        throw wrapPostgresError(error, what, this.target)
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }

  /** Checks (and maybe migrates) the schema on the first call of each process. */
  private async migrated(): Promise<void> {
    this.migration ??= this.pool.use((lane) => migrate(lane, this.tables, this.target)).catch((error: unknown) => {
      // Not remembered: the next call tries again (the server may be back).
      this.migration = undefined
      throw error
    })
    await this.migration
  }

  private checkOpen(): void {
    if (this.closed) throw new BackendUnavailableError('postgres', `the registry on ${this.target} was closed`)
  }
}
