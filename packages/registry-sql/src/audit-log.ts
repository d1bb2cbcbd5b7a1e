import { type AuditEntry, type AuditFilter, DEFAULT_QUERY_LIMIT, InvalidInputError } from '@assets/core'
import type { SqlDialect } from './dialect.js'
import { SqlParams } from './sql-params.js'
import type { SqlSession } from './sql-session.js'

interface AuditRow {
  id: number | string
  at: string
  actor: string
  action: string
  key: string | null
  version: string | null
  details: string | null
}

/** Appends one row; called inside the mutation's own transaction so both commit or neither. */
export async function appendAudit(s: SqlSession, d: SqlDialect, entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
  if (typeof entry.actor !== 'string' || entry.actor === '') throw new InvalidInputError('an audit entry needs an actor')
  if (typeof entry.action !== 'string' || entry.action === '') throw new InvalidInputError('an audit entry needs an action')
  const p = new SqlParams((i) => d.placeholder(i))
  const values = [
    p.add(new Date().toISOString()),
    p.add(entry.actor),
    p.add(entry.action),
    p.add(entry.key ?? null),
    p.add(entry.version ?? null),
    d.jsonParam(p.add(entry.details === undefined ? null : JSON.stringify(entry.details)), 'details'),
  ]
  await s.run(`INSERT INTO ${d.tables.audit} (at, actor, action, "key", version, details) VALUES (${values.join(', ')})`, p.values)
}

/** Newest first; `limit` defaults to core's query page size. */
export async function readAudit(s: SqlSession, d: SqlDialect, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const limit = filter.limit ?? DEFAULT_QUERY_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError('audit limit must be a positive integer')
  if (!d.storable(filter.key) || !d.storable(filter.action)) return []
  const p = new SqlParams((i) => d.placeholder(i))
  const where: string[] = []
  if (filter.key !== undefined) where.push(`"key" = ${p.add(filter.key)}`)
  if (filter.action !== undefined) where.push(`action = ${p.add(filter.action)}`)
  const sql = `SELECT id, at, actor, action, "key", version, details FROM ${d.tables.audit}
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${p.add(limit)}`
  const rows = await s.all<AuditRow>(sql, p.values)
  return rows.map((row) => {
    const entry: AuditEntry = { id: Number(row.id), at: row.at, actor: row.actor, action: row.action }
    if (row.key !== null) entry.key = row.key
    if (row.version !== null) entry.version = row.version
    if (row.details !== null) entry.details = (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>
    return entry
  })
}
