import type { SqlSession, SqlValue } from '@assets/registry-sql'
import type postgres from 'postgres'
import type { Queryable } from './postgres-client.js'

/**
 * Statements on one postgres.js connection. Fixed statements are prepared once per
 * connection; statements a query compiles are not, since their text varies with every
 * combination of filters.
 */
export function pgSession(db: Queryable): SqlSession {
  const send = (sql: string, params: readonly SqlValue[], prepare: boolean) =>
    db.unsafe(sql, params as postgres.ParameterOrJSON<never>[], { prepare })
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = [], options: { prepare?: boolean } = {}) =>
      (await send(sql, params, options.prepare ?? true)) as unknown as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => (await send(sql, params, params.length > 0)).count,
  }
}
