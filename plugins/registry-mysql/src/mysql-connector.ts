import { BackendUnavailableError } from '@assets/core'
import { applyMigrations, SchemaTooNewError, type SqlConnector, type SqlSession, type WriteLock } from '@assets/registry-sql'
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise'
import { MIGRATIONS } from './migrations.js'
import { clientSettings, type MysqlClientSettings } from './mysql-client.js'
import { mysqlDialect } from './mysql-dialect.js'
import { isConnectionFailure, isConnectionLost, isDeadlock, wrapMysqlError } from './mysql-errors.js'
import type { MysqlRegistryOptions } from './mysql-options.js'
import { mysqlSession } from './mysql-session.js'
import { lockName, releaseNamedLock, takeNamedLock } from './write-locks.js'

/**
 * Fixed for every connection, whatever the server's defaults: ANSI_QUOTES because the shared
 * SQL quotes the reserved word `"key"`; strict mode so that a value a column cannot hold is an
 * error, never a silent truncation; and no NO_BACKSLASH_ESCAPES, since mysql2 escapes values
 * with backslashes. UTC for NOW(), which lease times are taken from.
 */
const SESSION_SETUP = [
  `SET SESSION sql_mode = 'ANSI_QUOTES,ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', SESSION time_zone = '+00:00'`,
  // The shared layer checks, then inserts, under the key's named lock: REPEATABLE READ's gap
  // locks would only add deadlocks between different keys.
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
]

const DEADLOCK_RETRIES = 3

/**
 * mysql2's pool of connections, each set up on first use, with the schema migrated before the
 * first operation of each process. A connection that failed is destroyed, never returned to
 * the pool; a read that lost its connection is run once more on another, a mutation only when
 * it had not yet begun.
 */
export class MysqlConnector implements SqlConnector {
  /** `host:port/database`, for messages. */
  readonly target: string
  private readonly settings: MysqlClientSettings
  private pool: Pool | undefined
  /** Connections set up for this plugin (SESSION_SETUP ran), and those never to lend again. */
  private readonly ready = new WeakSet<object>()
  private readonly broken = new WeakSet<object>()
  private migration: Promise<void> | undefined
  private closed = false

  constructor(options: MysqlRegistryOptions) {
    this.settings = clientSettings(options)
    this.target = this.settings.target
  }

  read<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.attempt(what, 'always', (connection) => fn(mysqlSession(connection)))
  }

  snapshot<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.attempt(what, 'always', async (connection) => {
      // A consistent snapshot needs REPEATABLE READ; this applies to the next transaction only.
      await connection.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')
      return this.transaction(connection, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY', fn)
    })
  }

  write<T>(what: string, lock: WriteLock, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.attempt(what, 'before-begin', async (connection, began) => {
      const name = lock === undefined ? undefined : lockName(this.settings.database, lock)
      if (name !== undefined) await takeNamedLock(connection, name, this.target)
      try {
        return await this.transaction(connection, 'START TRANSACTION', fn, began)
      } finally {
        // After COMMIT or ROLLBACK: the lock covers the whole transaction. Not awaited: the
        // connection runs its statements in order, so whoever borrows it next starts after the
        // release, and the caller need not wait for it. On a dead connection the server has
        // released it with the session.
        if (name !== undefined) void releaseNamedLock(connection, name).catch(() => {})
      }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool?.end().catch(() => {})
  }

  /**
   * Runs `fn` on a pooled connection, after the migration. A lost connection is retried once
   * on another connection: always for reads, and for a mutation only if it failed before its
   * transaction began (after that, whether a lost COMMIT happened is unknown, and the caller
   * is told).
   */
  private async attempt<T>(what: string, retry: 'always' | 'before-begin', fn: (connection: PoolConnection, began: () => void) => Promise<T>): Promise<T> {
    let deadlocks = 0
    for (let attempt = 1; ; attempt++) {
      let begun = false
      try {
        this.checkOpen()
        await this.migrated()
        return await this.withConnection(attempt > 1, (connection) =>
          fn(connection, () => {
            begun = true
          }),
        )
      } catch (error) {
        const safe = retry === 'always' || !begun
        if (attempt === 1 && safe && isConnectionLost(error) && !this.closed) continue
        // InnoDB rolled the whole transaction back to break a deadlock: nothing of it remains,
        // so running it again is safe (rare: mutations of one key queue on its named lock).
        if (isDeadlock(error) && deadlocks++ < DEADLOCK_RETRIES && !this.closed) continue
        throw wrapMysqlError(error, what, this.target)
      }
    }
  }

  private async transaction<T>(connection: PoolConnection, begin: string, fn: (session: SqlSession) => Promise<T>, began?: () => void): Promise<T> {
    await connection.query(begin)
    began?.()
    try {
      const result = await fn(mysqlSession(connection))
      await connection.query('COMMIT')
      return result
    } catch (error) {
      // After a connection failure the server has rolled back already, and the connection is destroyed.
      if (!isConnectionFailure(error)) {
        await connection.query('ROLLBACK').catch(() => {
          // A connection whose ROLLBACK failed is in an unknown state: never lend it again.
          this.broken.add(connection.connection)
        })
      }
      throw error
    }
  }

  /**
   * Lends a connection, set up for this plugin, and destroys it if it failed. On a retry the
   * connection is pinged first: whatever killed the last one (a server restart, an operator's
   * KILL) may have killed idle ones too before the pool noticed.
   */
  private async withConnection<T>(check: boolean, fn: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect(check)
    let healthy = true
    try {
      return await fn(connection)
    } catch (error) {
      if (isConnectionFailure(error)) healthy = false
      throw error
    } finally {
      if (healthy && !this.broken.has(connection.connection)) connection.release()
      else connection.destroy()
    }
  }

  private async connect(check: boolean): Promise<PoolConnection> {
    const max = this.settings.pool.connectionLimit ?? 1
    for (let tries = 1; ; tries++) {
      const connection = await this.getConnection()
      try {
        if (!this.ready.has(connection.connection)) {
          for (const statement of SESSION_SETUP) await connection.query(statement)
          this.ready.add(connection.connection)
        } else if (check) await connection.ping()
        return connection
      } catch (error) {
        connection.destroy()
        if (tries > max || !isConnectionLost(error)) throw error
      }
    }
  }

  /** The pool is created on first use; with sslMode `prefer`, again without TLS if the server offers none. */
  private async getConnection(): Promise<PoolConnection> {
    this.pool ??= mysql.createPool(this.settings.pool)
    try {
      return await this.pool.getConnection()
    } catch (error) {
      const noTls = (error as { code?: unknown }).code === 'HANDSHAKE_NO_SSL_SUPPORT'
      if (!noTls || this.settings.sslMode !== 'prefer' || this.settings.pool.ssl === undefined) throw error
      const { ssl: _ssl, ...plain } = this.settings.pool
      this.settings.pool = plain
      const old = this.pool
      this.pool = mysql.createPool(plain)
      await old.end().catch(() => {})
      return this.pool.getConnection()
    }
  }

  /**
   * Migrates the schema on the first call of each process, holding a named lock: MySQL's DDL
   * is not transactional, so processes starting together must queue rather than each run the
   * migrations; every one after the first finds nothing left to do.
   */
  private async migrated(): Promise<void> {
    this.migration ??= this.withConnection(false, async (connection) => {
      const name = lockName(this.settings.database, 'migrate')
      await takeNamedLock(connection, name, this.target)
      try {
        await applyMigrations(mysqlSession(connection), mysqlDialect, MIGRATIONS)
      } finally {
        await releaseNamedLock(connection, name).catch(() => {})
      }
    }).catch((error: unknown) => {
      // Not remembered: the next call tries again (the server may be back).
      this.migration = undefined
      if (error instanceof SchemaTooNewError) {
        throw new BackendUnavailableError('mysql', `${this.target}: ${error.message}: upgrade @assets/registry-mysql`, { cause: error })
      }
      throw error
    })
    await this.migration
  }

  private checkOpen(): void {
    if (this.closed) throw new BackendUnavailableError('mysql', `the registry on ${this.target} was closed`)
  }
}
