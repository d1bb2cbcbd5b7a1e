import { resolve } from 'node:path'
import { BackendUnavailableError } from '@assets/core'
import { applyMigrations, SchemaTooNewError, type SqlConnector, type SqlSession, type SqlValue, type WriteLock } from '@assets/registry-sql'
import type BetterSqlite3 from 'better-sqlite3'
import { MIGRATIONS } from './migrations.js'
import { openDatabase, wrapSqliteError } from './open-database.js'
import { sqliteDialect } from './sqlite-dialect.js'
import { DEFAULT_BUSY_TIMEOUT_MS, type SqliteRegistryOptions } from './sqlite-options.js'

// Fixed statements kept prepared; compiled queries are prepared each time.
const PREPARED_LIMIT = 200

/** The last operation queued on each database file (or in-memory connection) by this process. */
const queues = new Map<unknown, Promise<void>>()

/**
 * One better-sqlite3 connection, opened and migrated on first use, shared safely by several
 * processes: WAL, a busy timeout, and every mutation in one BEGIN IMMEDIATE transaction, so
 * writers queue instead of interleaving (which also serialises every key's mutations, so write
 * locks need nothing more). Operations of this process run one at a time on the connection:
 * its statements are synchronous, but an operation awaits between them.
 */
export class SqliteConnector implements SqlConnector {
  private db: BetterSqlite3.Database | undefined
  private closed = false
  private queue: Promise<unknown> = Promise.resolve()
  private readonly prepared = new Map<string, BetterSqlite3.Statement>()

  constructor(private readonly options: SqliteRegistryOptions) {}

  read<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.exclusive(what, () => fn(this.session()))
  }

  snapshot<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.exclusive(what, (db) => this.transaction(db, 'BEGIN DEFERRED', fn))
  }

  write<T>(what: string, _lock: WriteLock, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.exclusive(what, (db) => this.transaction(db, 'BEGIN IMMEDIATE', fn))
  }

  async close(): Promise<void> {
    this.closed = true
    await this.queue.catch(() => {})
    this.prepared.clear()
    this.db?.close()
    this.db = undefined
  }

  /**
   * Runs `fn` once every earlier operation on this file from this process has finished. Per
   * file, not per connection: a connection waiting for the write lock blocks the thread (the
   * busy timeout), so a second registry on the same file in this process would otherwise wait
   * for a transaction that can no longer reach its COMMIT.
   */
  private exclusive<T>(what: string, fn: (db: BetterSqlite3.Database) => Promise<T>): Promise<T> {
    const file = this.options.path === ':memory:' ? this : resolve(this.options.path)
    const run = (queues.get(file) ?? Promise.resolve()).then(async () => {
      try {
        return await fn(await this.connection())
      } catch (error) {
        throw wrapSqliteError(error, what, this.options.path)
      }
    })
    const tail = run.then(
      () => {},
      () => {},
    )
    queues.set(file, tail)
    this.queue = tail
    // The last operation on a file removes its queue, so that the map does not grow.
    void tail.then(() => {
      if (queues.get(file) === tail) queues.delete(file)
    })
    return run
  }

  private async transaction<T>(db: BetterSqlite3.Database, begin: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    db.exec(begin)
    try {
      const result = await fn(this.session())
      db.exec('COMMIT')
      return result
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK')
      throw error
    }
  }

  /** Opened and migrated on first use, so that creating a registry does no I/O. */
  private async connection(): Promise<BetterSqlite3.Database> {
    if (this.closed) throw new BackendUnavailableError('sqlite', `the registry on ${this.options.path} was closed`)
    if (this.db) return this.db
    const { path } = this.options
    const db = openDatabase(path, this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, this.options.shared)
    this.db = db
    try {
      // Processes that start together queue on the write lock; every one after the first
      // finds nothing left to do.
      await this.transaction(db, 'BEGIN IMMEDIATE', (s) => applyMigrations(s, sqliteDialect, MIGRATIONS))
      return db
    } catch (error) {
      this.db = undefined
      this.prepared.clear()
      db.close()
      const message =
        error instanceof SchemaTooNewError ? `${error.message}: upgrade @assets/registry-sqlite` : error instanceof Error ? error.message : String(error)
      throw new BackendUnavailableError('sqlite', `could not open ${path}: ${message}`, { cause: error })
    }
  }

  private session(): SqlSession {
    const statement = (sql: string, prepare: boolean): BetterSqlite3.Statement => {
      const db = this.db as BetterSqlite3.Database
      if (!prepare) return db.prepare(sql)
      let found = this.prepared.get(sql)
      if (!found) {
        if (this.prepared.size >= PREPARED_LIMIT) this.prepared.clear()
        found = db.prepare(sql)
        this.prepared.set(sql, found)
      }
      return found
    }
    return {
      all: async <T>(sql: string, params: readonly SqlValue[] = [], options: { prepare?: boolean } = {}) => {
        const s = statement(sql, options.prepare ?? true)
        const values = bindable(params)
        if (s.reader) return s.all(...values) as T[]
        s.run(...values)
        return []
      },
      run: async (sql: string, params: readonly SqlValue[] = []) => statement(sql, true).run(...bindable(params)).changes,
    }
  }
}

/** better-sqlite3 binds no booleans. */
function bindable(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p))
}
