import { type AuditEntry, type AuditFilter, DEFAULT_QUERY_LIMIT, InvalidInputError } from '@assets/core'
import type BetterSqlite3 from 'better-sqlite3'
import type { SqlValue } from './sql-fragment.js'

interface AuditRow {
  id: number
  at: string
  actor: string
  action: string
  key: string | null
  version: string | null
  details: string | null
}

/** Appends one row; called inside the mutation's own transaction so both commit or neither. */
export function appendAudit(db: BetterSqlite3.Database, entry: Omit<AuditEntry, 'id' | 'at'>): void {
  if (typeof entry.actor !== 'string' || entry.actor === '') throw new InvalidInputError('an audit entry needs an actor')
  if (typeof entry.action !== 'string' || entry.action === '') throw new InvalidInputError('an audit entry needs an action')
  db.prepare('INSERT INTO audit (at, actor, action, key, version, details) VALUES (?, ?, ?, ?, ?, ?)').run(
    new Date().toISOString(),
    entry.actor,
    entry.action,
    entry.key ?? null,
    entry.version ?? null,
    entry.details === undefined ? null : JSON.stringify(entry.details),
  )
}

/** Newest first; `limit` defaults to core's query page size. */
export function readAudit(db: BetterSqlite3.Database, filter: AuditFilter = {}): AuditEntry[] {
  const where: string[] = []
  const params: SqlValue[] = []
  if (filter.key !== undefined) {
    where.push('key = ?')
    params.push(filter.key)
  }
  if (filter.action !== undefined) {
    where.push('action = ?')
    params.push(filter.action)
  }
  const limit = filter.limit ?? DEFAULT_QUERY_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError('audit limit must be a positive integer')
  const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
  return db
    .prepare<SqlValue[], AuditRow>(sql)
    .all(...params, limit)
    .map((row) => {
      const entry: AuditEntry = { id: row.id, at: row.at, actor: row.actor, action: row.action }
      if (row.key !== null) entry.key = row.key
      if (row.version !== null) entry.version = row.version
      if (row.details !== null) entry.details = JSON.parse(row.details) as Record<string, unknown>
      return entry
    })
}
