import { type CompiledQuery, type FieldClause, InvalidQueryError, type ReadScope, type Scalar } from '@assets/core'
import { readableSql } from './access-sql.js'
import { type SqlFragment, joinFragments } from './sql-fragment.js'
import { querySignature, versionOrderSql } from '@assets/core'

// The same rule core's compileQuery applies; checked again because a CompiledQuery can be
// built by hand, and these segments end up inside a JSON path.
const PATH_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/
// Above every character a key may hold, so `[prefix, prefix + MAX_CHAR)` is exactly the keys
// under the prefix, as an index-friendly, case-sensitive range (LIKE folds ASCII case).
const MAX_CHAR = '\u{10FFFF}'
const NUMERIC = `IN ('integer', 'real')`
const isoText = (expr: string): string => `strftime('%Y-%m-%dT%H:%M:%fZ', ${expr})`

/**
 * Compiles a checked query into one SELECT over `versions AS v`. Every value, JSON path and
 * principal is a bound parameter; only fixed SQL text is concatenated. It fetches one row more
 * than the page so the caller knows whether another page exists.
 */
export function compileToSql(query: CompiledQuery, scope: ReadScope): SqlFragment {
  const where = joinFragments([...rowSelection(query), ...filters(query, scope)], ' AND ')
  const order = orderBy(query.sort)
  checkPaging(query)
  return {
    sql: `SELECT v.* FROM versions AS v WHERE ${where.sql || '1'} ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
    params: [...where.params, ...order.params, query.limit + 1, query.offset],
  }
}

export function jsonPath(segments: readonly string[]): string {
  if (segments.length === 0 || !segments.every((s) => PATH_SEGMENT.test(s))) {
    throw new InvalidQueryError(`invalid metadata path ${JSON.stringify(segments.join('.'))}`)
  }
  return `$${segments.map((s) => `."${s}"`).join('')}`
}

/**
 * Which versions of a key take part. By default the latest of each key; with includeDeleted a
 * key whose every version was deleted is represented by its highest deleted version (`is_head`),
 * so adding includeDeleted only ever adds rows. A tag names one version per key itself, so with
 * a tag the latest-only rule does not apply.
 */
function rowSelection(query: CompiledQuery): SqlFragment[] {
  if (query.allVersions || query.tag !== undefined) {
    return query.includeDeleted ? [] : [{ sql: 'v.deleted_at IS NULL', params: [] }]
  }
  return [{ sql: query.includeDeleted ? 'v.is_head = 1' : 'v.is_latest = 1', params: [] }]
}

function filters(query: CompiledQuery, scope: ReadScope): SqlFragment[] {
  const signature = querySignature(query.clauses)
  // First, so that SQLite rejects most rows from the index before reading their JSON.
  const parts: SqlFragment[] = signature === 0 ? [] : [{ sql: '(v.metadata_sig & ?) = ?', params: [signature, signature] }]
  parts.push(...query.clauses.map(clauseSql))
  if (query.kinds !== undefined) {
    parts.push(
      query.kinds.length === 0
        ? { sql: '0', params: [] }
        : { sql: `v.kind IN (${query.kinds.map(() => '?').join(', ')})`, params: [...query.kinds] },
    )
  }
  if (query.tag !== undefined) {
    parts.push({ sql: 'EXISTS (SELECT 1 FROM tags AS t WHERE t.key = v.key AND t.version = v.version AND t.tag = ?)', params: [query.tag] })
  }
  if (query.text !== undefined) {
    const pattern = `%${escapeLike(query.text.toLowerCase())}%`
    parts.push({
      sql: `(assets_fold_case(v.key) LIKE ? ESCAPE '\\' OR assets_fold_case(coalesce(v.description, '')) LIKE ? ESCAPE '\\')`,
      params: [pattern, pattern],
    })
  }
  if (query.keyPrefix !== undefined && query.keyPrefix !== '') {
    parts.push({ sql: '(v.key >= ? AND v.key < ?)', params: [query.keyPrefix, query.keyPrefix + MAX_CHAR] })
  }
  if (query.createdAfter !== undefined) parts.push({ sql: 'v.created_at > ?', params: [query.createdAfter] })
  if (query.createdBefore !== undefined) parts.push({ sql: 'v.created_at < ?', params: [query.createdBefore] })
  const readable = readableSql('v.acl', scope)
  if (readable) parts.push(readable)
  return parts
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function clauseSql(clause: FieldClause): SqlFragment {
  const path = jsonPath(clause.path)
  const { op, value } = clause
  switch (op) {
    case '$eq':
      return equalsSql(path, scalar(value, op))
    case '$ne':
      // Like MongoDB: a row without the field also "is not equal", so $ne and $eq split every
      // row between them.
      return wrap('NOT ', equalsSql(path, scalar(value, op)))
    case '$in': {
      if (!Array.isArray(value) || value.length === 0) throw new InvalidQueryError('$in: expected a non-empty list of values')
      return wrap('', joinFragments(value.map((v) => equalsSql(path, scalar(v, op))), ' OR '))
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return rangeSql(path, op, value)
    case '$exists':
      return { sql: `json_type(v.metadata, ?) IS ${value === true ? 'NOT NULL' : 'NULL'}`, params: [path] }
    case '$contains': {
      // json_each also walks objects and yields a scalar itself: only arrays can contain.
      const match = elementMatch(scalar(value, op))
      return {
        sql: `(json_type(v.metadata, ?) = 'array' AND EXISTS (SELECT 1 FROM json_each(v.metadata, ?) AS element WHERE ${match.sql}))`,
        params: [path, path, ...match.params],
      }
    }
    default:
      throw new InvalidQueryError(`unknown operator ${String(op)}`)
  }
}

/** Never NULL, so that NOT turns it into a true complement. */
function equalsSql(path: string, value: Scalar): SqlFragment {
  if (value === null) return { sql: `coalesce(json_type(v.metadata, ?) = 'null', 0)`, params: [path] }
  if (typeof value === 'boolean') return { sql: 'coalesce(json_type(v.metadata, ?) = ?, 0)', params: [path, String(value)] }
  const type = typeof value === 'number' ? NUMERIC : `= 'text'`
  // The value test first: most rows fail it, and SQLite then skips parsing the type.
  return { sql: `coalesce(json_extract(v.metadata, ?) = ? AND json_type(v.metadata, ?) ${type}, 0)`, params: [path, value, path] }
}

const COMPARATORS = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const

/**
 * Numbers compare only with JSON numbers. Strings are dates: both sides are normalised to
 * `YYYY-MM-DDTHH:MM:SS.SSSZ` text first, so `2024-01-15`, `2024-01-15T00:00:00Z` and offsets
 * compare as the instants they are; text that is not a date never matches.
 */
function rangeSql(path: string, op: keyof typeof COMPARATORS, value: FieldClause['value']): SqlFragment {
  const cmp = COMPARATORS[op]
  if (typeof value === 'number' && Number.isFinite(value)) {
    return { sql: `(json_type(v.metadata, ?) ${NUMERIC} AND json_extract(v.metadata, ?) ${cmp} ?)`, params: [path, path, value] }
  }
  if (typeof value === 'string') {
    return {
      sql: `(json_type(v.metadata, ?) = 'text' AND ${isoText('json_extract(v.metadata, ?)')} ${cmp} ${isoText('?')})`,
      params: [path, path, value],
    }
  }
  throw new InvalidQueryError(`${op}: expected a number or a date`)
}

function elementMatch(value: Scalar): SqlFragment {
  if (value === null) return { sql: `element.type = 'null'`, params: [] }
  if (typeof value === 'boolean') return { sql: 'element.type = ?', params: [String(value)] }
  const type = typeof value === 'number' ? NUMERIC : `= 'text'`
  return { sql: `element.type ${type} AND element.value = ?`, params: [value] }
}

function orderBy(sort: CompiledQuery['sort']): SqlFragment {
  const dir = sort.order === 'asc' ? 'ASC' : 'DESC'
  // Ties are broken the same way every time so that offset paging neither repeats nor skips.
  const tiebreak = `v.key ASC, ${versionOrderSql('v', 'DESC')}, v.version ASC`
  switch (sort.field) {
    case 'createdAt':
      return { sql: `v.created_at ${dir}, ${tiebreak}`, params: [] }
    case 'key':
      return { sql: `v.key ${dir}, ${versionOrderSql('v', 'DESC')}, v.version ASC`, params: [] }
    case 'size':
      return { sql: `v.size ${dir}, ${tiebreak}`, params: [] }
    case 'version':
      return { sql: `${versionOrderSql('v', dir)}, ${tiebreak}`, params: [] }
    case 'metadata': {
      const path = jsonPath(sort.path ?? [])
      // Rows without the field come last in either order.
      return { sql: `(json_type(v.metadata, ?) IS NULL) ASC, json_extract(v.metadata, ?) ${dir}, ${tiebreak}`, params: [path, path] }
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

function wrap(prefix: string, fragment: SqlFragment): SqlFragment {
  return { sql: `${prefix}(${fragment.sql})`, params: fragment.params }
}
