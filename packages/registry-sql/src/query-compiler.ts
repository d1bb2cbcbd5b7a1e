import { type CompiledQuery, type FieldClause, InvalidQueryError, isoInstant, type ReadScope, type Scalar, versionOrderSql } from '@assets/core'
import type { Comparator, SqlDialect } from './dialect.js'
import { flatKey, PATH_SEGMENT } from './derived-metadata.js'
import { SqlParams } from './sql-params.js'
import type { SqlValue } from './sql-session.js'

// Above every character a key may hold, so `[prefix, prefix + MAX_CHAR)` is exactly the keys
// under the prefix, as an index-friendly, case-sensitive range in byte order.
const MAX_CHAR = '\u{10FFFF}'
const COMPARATORS: Record<string, Comparator> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }

/**
 * Compiles a checked query into one SELECT over `versions AS v`. Every value, JSON path and
 * principal is a bound parameter; only fixed SQL text is concatenated. It fetches one row more
 * than the page so the caller knows whether another page exists.
 */
export function compileToSql(query: CompiledQuery, scope: ReadScope, d: SqlDialect): { sql: string; params: SqlValue[] } {
  checkPaging(query)
  const params = new SqlParams((i) => d.placeholder(i))
  // WHERE before ORDER BY, as they appear in the text: `?` placeholders bind by position (so a
  // dialect's sort join, which comes before WHERE, binds nothing where placeholders are `?`).
  const where = [...rowSelection(query, d), ...filters(query, scope, d, params)]
  const order = orderBy(query, d, params)
  const sql =
    `SELECT ${d.recordColumns} FROM ${d.tables.versions} AS v${order.join} ` +
    `WHERE ${where.length > 0 ? where.join(' AND ') : d.TRUE} ORDER BY ${order.terms} ` +
    `LIMIT ${params.add(query.limit + 1)} OFFSET ${params.add(query.offset)}`
  return { sql, params: params.values }
}

/** Checks the segments of a metadata path again: a CompiledQuery can be built by hand, and they end up in SQL. */
export function checkPath(segments: readonly string[]): readonly string[] {
  if (segments.length === 0 || !segments.every((s) => typeof s === 'string' && PATH_SEGMENT.test(s))) {
    throw new InvalidQueryError(`invalid metadata path ${JSON.stringify(segments.join('.'))}`)
  }
  return segments
}

/**
 * Which versions of a key take part. By default the latest of each key; with includeDeleted a
 * key whose every version was deleted is represented by its highest deleted version (`is_head`),
 * so adding includeDeleted only ever adds rows. A tag names one version per key itself, so with
 * a tag the latest-only rule does not apply.
 */
function rowSelection(query: CompiledQuery, d: SqlDialect): string[] {
  if (query.allVersions || query.tag !== undefined) return query.includeDeleted ? [] : ['v.deleted_at IS NULL']
  return [d.isSet(query.includeDeleted ? 'v.is_head' : 'v.is_latest')]
}

function filters(query: CompiledQuery, scope: ReadScope, d: SqlDialect, params: SqlParams): string[] {
  // Texts the database cannot hold match nothing.
  for (const text of [query.tag, query.text, query.keyPrefix]) if (!d.storable(text)) return [d.FALSE]
  const parts: string[] = []
  // First, so that a database can reject most rows from an index before reading their JSON.
  const prefilter = d.metadata.prefilter?.(query.clauses, params)
  if (prefilter) parts.push(prefilter)
  parts.push(...query.clauses.map((clause) => clauseSql(clause, d, params)))
  if (query.kinds !== undefined) parts.push(query.kinds.length === 0 ? d.FALSE : `v.kind IN (${params.list(query.kinds)})`)
  if (query.tag !== undefined) {
    parts.push(`EXISTS (SELECT 1 FROM ${d.tables.tags} AS t WHERE t."key" = v."key" AND t.version = v.version AND t.tag = ${params.add(query.tag)})`)
  }
  // Both sides folded by JavaScript, whatever the database's own case rules.
  if (query.text !== undefined) parts.push(d.textSearch(query.text.toLowerCase(), params))
  if (query.keyPrefix !== undefined && query.keyPrefix !== '') {
    parts.push(`(v."key" >= ${params.add(query.keyPrefix)} AND v."key" < ${params.add(query.keyPrefix + MAX_CHAR)})`)
  }
  if (query.createdAfter !== undefined) parts.push(`v.created_at > ${params.add(query.createdAfter)}`)
  if (query.createdBefore !== undefined) parts.push(`v.created_at < ${params.add(query.createdBefore)}`)
  const readable = d.readable('v.acl', scope, params)
  if (readable) parts.push(readable)
  return parts
}

function clauseSql(clause: FieldClause, d: SqlDialect, params: SqlParams): string {
  const path = checkPath(clause.path)
  const { op, value } = clause
  const m = d.metadata
  const equals = (v: unknown): string => {
    const s = scalar(v, op)
    return d.storable(s) ? m.equals(path, s, params) : d.FALSE
  }
  switch (op) {
    case '$eq':
      return equals(value)
    case '$ne':
      // Like MongoDB: a row without the field also "is not equal", so $ne and $eq split every
      // row between them.
      return `NOT (${equals(value)})`
    case '$in':
      if (!Array.isArray(value) || value.length === 0) throw new InvalidQueryError('$in: expected a non-empty list of values')
      return `(${value.map(equals).join(' OR ')})`
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const cmp = COMPARATORS[op] as Comparator
      if (typeof value === 'number' && Number.isFinite(value)) return m.numberCompare(path, cmp, value, params)
      // Strings are dates, normalised by core to ISO instants; stored dates were normalised the
      // same way at registration, so plain text comparison compares instants.
      if (typeof value === 'string') {
        // Normalised again: a CompiledQuery can be built by hand, and text that is no date
        // must match nothing rather than compare as text.
        const instant = isoInstant(value)
        if (instant === undefined) return d.FALSE
        return `coalesce(${m.dateText(flatKey(path), params)} ${cmp} ${params.add(instant)}, ${d.FALSE})`
      }
      throw new InvalidQueryError(`${op}: expected a number or a date`)
    }
    case '$exists':
      return value === true ? m.exists(path, params) : `NOT (${m.exists(path, params)})`
    case '$contains': {
      const s = scalar(value, op)
      return d.storable(s) ? m.arrayContains(path, s, params) : d.FALSE
    }
    default:
      throw new InvalidQueryError(`unknown operator ${String(op)}`)
  }
}

function orderBy(query: CompiledQuery, d: SqlDialect, params: SqlParams): { join: string; terms: string } {
  const { sort } = query
  const dir = sort.order === 'asc' ? 'ASC' : 'DESC'
  // Ties are broken the same way every time so that offset paging neither repeats nor skips.
  // Without allVersions a key has one row (its latest, its head, or its tagged version), so
  // the key alone breaks every tie, and an index on (flag, sort column, key) gives the order.
  const byVersion = query.allVersions ? `${versionOrderSql('v', 'DESC')}, v.version ASC` : ''
  const after = (terms: string): string => (byVersion === '' ? terms : `${terms}, ${byVersion}`)
  const tiebreak = after(`v."key" ASC`)
  switch (sort.field) {
    case 'createdAt':
      return { join: '', terms: `v.created_at ${dir}, ${tiebreak}` }
    case 'key':
      return { join: '', terms: after(`v."key" ${dir}`) }
    case 'size':
      return { join: '', terms: `v.size ${dir}, ${tiebreak}` }
    case 'version':
      return { join: '', terms: `${versionOrderSql('v', dir)}, ${tiebreak}` }
    case 'metadata': {
      const { join, terms } = d.metadata.sort(checkPath(sort.path ?? []), dir, params)
      return { join, terms: `${terms}, ${tiebreak}` }
    }
    default:
      throw new InvalidQueryError(`cannot sort by ${JSON.stringify(sort.field)}`)
  }
}

function checkPaging(query: CompiledQuery): void {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new InvalidQueryError('limit must be a positive integer')
  if (!Number.isSafeInteger(query.offset) || query.offset < 0) throw new InvalidQueryError('invalid cursor offset')
}

function scalar(value: unknown, op: string): Scalar {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isFinite(value)) return value
  throw new InvalidQueryError(`${op}: expected a string, number, boolean or null`)
}
