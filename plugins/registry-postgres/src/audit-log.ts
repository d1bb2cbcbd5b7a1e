import { type AuditEntry, type AuditFilter, DEFAULT_QUERY_LIMIT, InvalidInputError } from '@assets/core'
import type { Queryable } from './postgres-client.js'
import { run, SqlParams } from './sql-params.js'
import type { Tables } from './tables.js'

interface AuditRow {
  id: string
  at: string
  actor: string
  action: string
  key: string | null
  version: string | null
  details: string | null
}

/** Appends one row; called inside the mutation's own transaction so both commit or neither. */
export async function appendAudit(db: Queryable, tables: Tables, entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
  if (typeof entry.actor !== 'string' || entry.actor === '') throw new InvalidInputError('an audit entry needs an actor')
  if (typeof entry.action !== 'string' || entry.action === '') throw new InvalidInputError('an audit entry needs an action')
  await run(db, `INSERT INTO ${tables.audit} (at, actor, action, key, version, details) VALUES ($1, $2, $3, $4, $5, $6::text::json)`, [
    new Date().toISOString(),
    entry.actor,
    entry.action,
    entry.key ?? null,
    entry.version ?? null,
    entry.details === undefined ? null : JSON.stringify(entry.details),
  ])
}

/** Newest first; `limit` defaults to core's query page size. */
export async function readAudit(db: Queryable, tables: Tables, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const params = new SqlParams()
  const where: string[] = []
  if (filter.key !== undefined) where.push(`key = ${params.add(filter.key)}`)
  if (filter.action !== undefined) where.push(`action = ${params.add(filter.action)}`)
  const limit = filter.limit ?? DEFAULT_QUERY_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError('audit limit must be a positive integer')
  const text = `SELECT id, at, actor, action, key, version, details::text AS details FROM ${tables.audit}
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${params.add(limit)}`
  const rows = await run<AuditRow>(db, text, params.values)
  return rows.map((row) => {
    const entry: AuditEntry = { id: Number(row.id), at: row.at, actor: row.actor, action: row.action }
    if (row.key !== null) entry.key = row.key
    if (row.version !== null) entry.version = row.version
    if (row.details !== null) entry.details = JSON.parse(row.details) as Record<string, unknown>
    return entry
  })
}
