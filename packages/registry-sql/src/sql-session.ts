/**
 * What the shared layer binds to a placeholder. Booleans and arrays reach only the SQL a
 * dialect writes itself (PostgreSQL's `::text[]`); the shared statements bind text, numbers
 * and NULL, which every driver takes.
 */
export type SqlValue = string | number | boolean | null | readonly string[]

/** One connection, inside a transaction when the connector opened one. */
export interface SqlSession {
  /**
   * The rows of one statement. `prepare: false` for text that varies with every call (compiled
   * queries), so that a driver that caches prepared statements does not fill up with them.
   */
  all<T>(sql: string, params?: readonly SqlValue[], options?: { prepare?: boolean }): Promise<T[]>
  /** Runs one statement and returns how many rows it changed (matched, for an UPDATE). */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>
}

/**
 * What a mutation must not interleave with: the other mutations of one key (tags, ACLs, the
 * latest flags), or every other lease call of the catalogue (a hold and a claim of one location
 * must see each other). A connector holds it from before the transaction's first read until
 * after the transaction ends (a transaction-scoped lock taken first, or a session lock taken
 * before BEGIN and released after COMMIT or ROLLBACK), and the transaction reads what the
 * previous holder committed.
 */
export type WriteLock = { key: string } | 'leases' | undefined

/**
 * A registry plugin's connection handling: the only part of a registry that touches its
 * driver. It migrates the schema before the first operation, maps driver failures to core's
 * errors (BackendUnavailableError without credentials in it), and decides what is safe to
 * retry after a lost connection.
 */
export interface SqlConnector {
  /** Runs reads on one connection, without a transaction of their own. */
  read<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T>
  /** Runs reads in one read-only snapshot, so that they agree with each other. */
  snapshot<T>(what: string, fn: (session: SqlSession) => Promise<T>): Promise<T>
  /** Runs a mutation in one transaction holding `lock`: it all commits or none of it does. */
  write<T>(what: string, lock: WriteLock, fn: (session: SqlSession) => Promise<T>): Promise<T>
  close(): Promise<void>
}
