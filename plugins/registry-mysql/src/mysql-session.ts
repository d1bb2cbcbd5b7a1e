import { InvalidInputError } from '@assets/core'
import type { SqlSession, SqlValue } from '@assets/registry-sql'
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise'

/**
 * Statements on one connection, over mysql2's text protocol (`query`): values are escaped by
 * mysql2 and sent inside the statement, so nothing is prepared on the server and the
 * `prepare` hint has nothing to decide. Safe because the connector fixes the session's
 * sql_mode without NO_BACKSLASH_ESCAPES, the escaping mysql2 writes. Server-side prepared
 * statements (`execute`) would save parsing the fixed statements, but each connection would
 * keep its own copies, counted against the server-wide max_prepared_stmt_count (16 382 by
 * default) that every worker's pool shares.
 */
export function mysqlSession(connection: PoolConnection): SqlSession {
  const send = async (sql: string, params: readonly SqlValue[]) => {
    for (const value of params) checkStorable(value)
    const [result] = await connection.query({ sql, values: params as unknown[] })
    return result
  }
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => {
      const result = await send(sql, params)
      return (Array.isArray(result) ? result : []) as T[]
    },
    // The connection sets CLIENT_FOUND_ROWS (mysql2's default): an UPDATE reports the rows it matched.
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      const result = await send(sql, params)
      return Array.isArray(result) ? result.length : (result as ResultSetHeader).affectedRows
    },
  }
}

const LONE_SURROGATE = /\p{Cs}/u

/**
 * utf8mb4 holds every Unicode character, but a string holding half of a UTF-16 surrogate pair
 * is not Unicode: encoded for the wire it would silently become U+FFFD. Refused instead.
 */
export function isStorableText(value: unknown): boolean {
  // With the u flag a well-formed pair is one code point, so only a lone half matches.
  return typeof value !== 'string' || !LONE_SURROGATE.test(value)
}

function checkStorable(value: SqlValue): void {
  if (!isStorableText(value)) throw new InvalidInputError('MySQL/MariaDB cannot store text holding a lone UTF-16 surrogate')
}
