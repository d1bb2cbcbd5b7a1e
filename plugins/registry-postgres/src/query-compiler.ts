import { type CompiledQuery, type FieldClause, InvalidQueryError, type ReadScope, type Scalar } from '@assets/core'
import { readableSql } from './access-sql.js'
import { containmentDocument, flatKey, storable, strictJsonPath } from './metadata-path.js'
import { RECORD_COLUMNS } from './record-row.js'
import { NOW, sqliteDateText } from './sqlite-date-text.js'
import { SqlParams, type SqlValue } from './sql-params.js'
import type { Tables } from './tables.js'
import { versionOrderSql } from '@assets/core'

// Above every character a key may hold, so `[prefix, prefix + MAX_CHAR)` is exactly the keys
// under the prefix, as an index-friendly, case-sensitive range in the "C" collation.
const MAX_CHAR = '\u{10FFFF}'
const COMPARATORS = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const

/** State of one compilation: the bound values, and "now" read once for the whole query. */
interface Compilation {
  params: SqlParams
  now(): string
}

/**
 * Compiles a checked query into one SELECT over `versions AS v`, with the same results and
 * order as the SQLite registry's compiler for the same data. Every value, JSON path and
 * principal is a bound parameter; only fixed SQL text is concatenated. It fetches one row more
 * than the page so the caller knows whether another page exists.
 */
export function compileToSql(query: CompiledQuery, scope: ReadScope, tables: Tables, clock: () => Date = () => new Date()): { text: string; params: SqlValue[] } {
  checkPaging(query)
  const params = new SqlParams()
  let now: string | undefined
  const c: Compilation = {
    params,
    now: () => {
      now ??= params.add(clock().toISOString())
      return now
    },
  }
  const where = [...rowSelection(query), ...filters(query, scope, tables, c)]
  const order = orderBy(query.sort, c)
  const text =
    `SELECT ${RECORD_COLUMNS} FROM ${tables.versions} AS v${order.join} ` +
    `WHERE ${where.length > 0 ? where.join(' AND ') : 'TRUE'} ORDER BY ${order.terms} ` +
    `LIMIT ${params.add(query.limit + 1)} OFFSET ${params.add(query.offset)}`
  return { text, params: params.values }
}

/**
 * Which versions of a key take part. By default the latest of each key; with includeDeleted a
 * key whose every version was deleted is represented by its highest deleted version (`is_head`),
 * so adding includeDeleted only ever adds rows. A tag names one version per key itself, so with
 * a tag the latest-only rule does not apply.
 */
function rowSelection(query: CompiledQuery): string[] {
  if (query.allVersions || query.tag !== undefined) return query.includeDeleted ? [] : ['v.deleted_at IS NULL']
  return [query.includeDeleted ? 'v.is_head' : 'v.is_latest']
}

function filters(query: CompiledQuery, scope: ReadScope, tables: Tables, c: Compilation): string[] {
  const { params } = c
  const parts = query.clauses.map((clause) => clauseSql(clause, c))
  if (query.kinds !== undefined) {
    parts.push(query.kinds.length === 0 ? 'FALSE' : `v.kind = ANY(${params.add([...query.kinds])}::text[])`)
  }
  if (query.tag !== undefined) {
    if (!storable(query.tag)) return ['FALSE']
    parts.push(`EXISTS (SELECT 1 FROM ${tables.tags} AS t WHERE t.key = v.key AND t.version = v.version AND t.tag = ${params.add(query.tag)})`)
  }
  if (query.text !== undefined) {
    if (!storable(query.text)) return ['FALSE']
    // Both sides folded by JavaScript, as in the SQLite registry; strpos matches literally, so
    // % and _ are plain characters.
    const text = params.add(query.text.toLowerCase())
    parts.push(`(strpos(v.key_folded, ${text}) > 0 OR strpos(v.description_folded, ${text}) > 0)`)
  }
  if (query.keyPrefix !== undefined && query.keyPrefix !== '') {
    if (!storable(query.keyPrefix)) return ['FALSE']
    parts.push(`(v.key >= ${params.add(query.keyPrefix)} AND v.key < ${params.add(query.keyPrefix + MAX_CHAR)})`)
  }
  if (query.createdAfter !== undefined) parts.push(`v.created_at > ${params.add(query.createdAfter)}`)
  if (query.createdBefore !== undefined) parts.push(`v.created_at < ${params.add(query.createdBefore)}`)
  const readable = readableSql('v.acl', scope, params)
  if (readable) parts.push(readable)
  return parts
}

function clauseSql(clause: FieldClause, c: Compilation): string {
  const { path, op, value } = clause
  switch (op) {
    case '$eq':
      return contains(path, scalar(value, op), c)
    case '$ne':
      // Like MongoDB: a row without the field also "is not equal", so $ne and $eq split every
      // row between them (containment is never NULL, so NOT is a true complement).
      return `NOT ${contains(path, scalar(value, op), c)}`
    case '$in': {
      if (!Array.isArray(value) || value.length === 0) throw new InvalidQueryError('$in: expected a non-empty list of values')
      return `(${value.map((v) => contains(path, scalar(v, op), c)).join(' OR ')})`
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return rangeSql(path, op, value, c)
    case '$exists':
      // Present, even as null, through object members only.
      return `${value === true ? '' : 'NOT '}coalesce(v.metadata @? ${c.params.add(strictJsonPath(path))}::jsonpath, FALSE)`
    case '$contains':
      // An array holding an element equal to the value, with its type; a scalar equal to it is not an array.
      return contains(path, [scalar(value, op)], c)
    default:
      throw new InvalidQueryError(`unknown operator ${String(op)}`)
  }
}

function contains(path: readonly string[], leaf: Scalar | Scalar[], c: Compilation): string {
  if (![leaf].flat().every(storable)) return 'FALSE'
  return `(v.metadata @> ${c.params.add(containmentDocument(path, leaf))}::jsonb)`
}

/**
 * Numbers compare only with JSON numbers. Strings compare as SQLite's date functions read
 * them: both sides in `YYYY-MM-DDTHH:MM:SS.SSSZ` form (the stored side precomputed at
 * registration), so `2024-01-15`, `…Z` and offsets compare as the instants they are; text that
 * SQLite does not read as a date never matches.
 */
function rangeSql(path: readonly string[], op: keyof typeof COMPARATORS, value: FieldClause['value'], c: Compilation): string {
  const cmp = COMPARATORS[op]
  const { params } = c
  if (typeof value === 'number' && Number.isFinite(value)) {
    const found = `jsonb_path_query_first(v.metadata, ${params.add(strictJsonPath(path))}::jsonpath, '{}', TRUE)`
    // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and the cast fails on non-numbers.
    return `(CASE WHEN jsonb_typeof(${found}) = 'number' THEN (${found})::numeric ${cmp} ${params.add(value)}::numeric ELSE FALSE END)`
  }
  if (typeof value === 'string') {
    const bound = sqliteDateText(value)
    // SQLite's comparison with a NULL bound is NULL: no row matches.
    if (bound === null) return 'FALSE'
    const key = params.add(flatKey(path))
    const boundSql = bound === NOW ? c.now() : params.add(bound)
    const stored = `(v.metadata_dates ->> ${key}::text)`
    return `((CASE WHEN ${stored} = '${NOW}' THEN ${c.now()} ELSE ${stored} END) COLLATE "C" ${cmp} ${boundSql})`
  }
  throw new InvalidQueryError(`${op}: expected a number or a date`)
}

/**
 * ORDER BY with the SQLite registry's order. Sorting on a metadata path mirrors SQLite's
 * ordering of json_extract values: rows without the field last in either order; among the
 * rest JSON null, then numbers and booleans (true as 1, false as 0) by value, then strings,
 * arrays and objects by their text, byte by byte.
 */
function orderBy(sort: CompiledQuery['sort'], c: Compilation): { join: string; terms: string } {
  const dir = sort.order === 'asc' ? 'ASC' : 'DESC'
  // Ties are broken the same way every time so that offset paging neither repeats nor skips.
  const tiebreak = `v.key ASC, ${versionOrderSql('v', 'DESC')}, v.version ASC`
  switch (sort.field) {
    case 'createdAt':
      return { join: '', terms: `v.created_at ${dir}, ${tiebreak}` }
    case 'key':
      return { join: '', terms: `v.key ${dir}, ${versionOrderSql('v', 'DESC')}, v.version ASC` }
    case 'size':
      return { join: '', terms: `v.size ${dir}, ${tiebreak}` }
    case 'version':
      return { join: '', terms: `${versionOrderSql('v', dir)}, ${tiebreak}` }
    case 'metadata': {
      const path = sort.path ?? []
      const found = `jsonb_path_query_first(v.metadata, ${c.params.add(strictJsonPath(path))}::jsonpath, '{}', TRUE)`
      const type = 'jsonb_typeof(s.value)'
      const join = ` LEFT JOIN LATERAL (SELECT ${found} AS value) AS s ON TRUE`
      const rank = `CASE ${type} WHEN 'null' THEN 0 WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 ELSE 2 END`
      const number = `CASE ${type} WHEN 'number' THEN (s.value)::numeric WHEN 'boolean' THEN CASE WHEN (s.value)::boolean THEN 1 ELSE 0 END END`
      const text = `(CASE ${type} WHEN 'string' THEN s.value #>> '{}' ELSE v.metadata_json_texts ->> ${c.params.add(flatKey(path))}::text END) COLLATE "C"`
      return { join, terms: `(s.value IS NULL) ASC, ${rank} ${dir}, ${number} ${dir}, ${text} ${dir}, ${tiebreak}` }
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
