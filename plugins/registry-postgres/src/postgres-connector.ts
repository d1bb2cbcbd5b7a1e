import { BackendUnavailableError } from '@assets/core'
import type { SqlConnector, SqlDialect, SqlSession, WriteLock } from '@assets/registry-sql'
import { type Lane, LanePool } from './connection-lanes.js'
import { lockKey, lockLeases } from './key-lock.js'
import { migrate } from './migrations.js'
import { createClient } from './postgres-client.js'
import { postgresDialect } from './postgres-dialect.js'
import { isConnectionLost, wrapPostgresError } from './postgres-errors.js'
import type { PostgresRegistryOptions } from './postgres-options.js'
import { pgSession } from './postgres-session.js'
import { transaction } from './transaction.js'

/**
 * How the registry's operations reach the server: on a lent connection, after the schema is
 * migrated, retried when that is safe, with failures turned into the core's errors.
 */
export class PostgresConnector implements SqlConnector {
  readonly dialect: SqlDialect
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
    this.dialect = postgresDialect(client.schema)
  }

  /**
   * Runs reads. A connection the server dropped fails the statement it was given; the read is
   * safe to run once more, and runs on another connection.
   */
  read<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.readOn(what, (lane) => fn(pgSession(lane.sql)))
  }

  snapshot<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.readOn(what, (lane) => transaction(lane, { readOnlySnapshot: true }, (tx) => fn(pgSession(tx))))
  }

  /**
   * Runs a mutation in one transaction holding its lock. It is run again only when the
   * connection failed before the transaction began: once statements ran, the outcome of a lost
   * commit is unknown, and the caller is told (BackendUnavailableError) instead. Either way the
   * failed connection is not used again.
   */
  async write<T>(what: string, lock: WriteLock, fn: (session: SqlSession) => Promise<T>): Promise<T> {
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
            if (lock === 'leases') await lockLeases(tx, this.schema)
            else if (lock !== undefined) await lockKey(tx, this.schema, lock.key)
            return fn(pgSession(tx))
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

  private async readOn<T>(what: string, fn: (lane: Lane) => Promise<T>): Promise<T> {
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

  /** Checks (and maybe migrates) the schema on the first call of each process. */
  private async migrated(): Promise<void> {
    this.migration ??= this.pool.use((lane) => migrate(lane, this.dialect, this.schema, this.target)).catch((error: unknown) => {
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
