import { type FieldClause, listsGranting, querySignature, type ReadScope, type Scalar } from '@assets/core'
import { flatKey, type MetadataSql, type SqlDialect, type SqlParams, tablesIn, type VersionColumn } from '@assets/registry-sql'
import { isStorableText } from './mysql-session.js'

// JSON_TYPE's names for numbers: MariaDB's two, and MySQL's four.
const NUMERIC = `IN ('INTEGER', 'DOUBLE', 'UNSIGNED INTEGER', 'DECIMAL')`

/** `$."a"."b"`: a JSON path that walks object members only. */
const jsonPath = (segments: readonly string[]): string => `$${segments.map((s) => `."${s}"`).join('')}`

const VERSION_INSERT: VersionColumn[] = (
  [
    'key', 'version', 'kind', 'type', 'digest', 'size', 'file_count', 'location', 'file_name', 'description', 'metadata', 'metadata_sig',
    'metadata_dates', 'metadata_json_texts', 'key_folded', 'description_folded', 'provenance', 'specs', 'declarative_schema', 'relationships',
    'acl', 'created_by', 'created_at', 'expires_at', 'v_major', 'v_minor', 'v_patch', 'v_prerelease',
  ] as const
).map((value) => ({ column: value === 'key' ? '"key"' : value, value }))

/** The VersionRow columns only: the derived ones stay on the server. */
const RECORD_COLUMNS = [
  '"key"', 'version', 'kind', 'type', 'digest', 'size', 'file_count', 'location', 'file_name', 'description', 'metadata', 'provenance', 'specs',
  'declarative_schema', 'relationships', 'acl', 'created_by', 'created_at', 'deleted_at', 'deleted_by', 'expires_at',
]
  .map((c) => `v.${c}`)
  .join(', ')

/**
 * The value at a path, as JSON text (MariaDB) or a JSON value (MySQL); SQL NULL when absent.
 * Each use binds the path again: `?` placeholders bind by position.
 */
const at = (path: readonly string[], params: SqlParams): string => `JSON_EXTRACT(v.metadata, ${params.add(jsonPath(path))})`

/**
 * Text compared byte by byte, without PAD SPACE (utf8mb4_bin ignores trailing spaces): as
 * binary strings, whose order is UTF-8 byte order, that is SQLite's and PostgreSQL's "C".
 */
const bytes = (expression: string): string => `CAST(${expression} AS BINARY)`

/**
 * MariaDB's and MySQL's JSON functions on the text as written (LONGTEXT checked by json_valid:
 * MySQL's JSON type would reorder object keys). A scalar's type comes from JSON_TYPE and its
 * value from JSON_UNQUOTE (strings unescaped; numbers, true, false and null as written), so
 * that every comparison is type-exact. Equality filters first test the metadata signature
 * (core's metadataSignature) inside the index that orders the latest versions.
 */
const metadata: MetadataSql = {
  prefilter(clauses: readonly FieldClause[], params: SqlParams) {
    const signature = querySignature(clauses)
    return signature === 0 ? undefined : `(v.metadata_sig & ${params.add(signature)}) = ${params.add(signature)}`
  },
  equals(path, value, params) {
    return `coalesce(${scalarMatch(() => at(path, params), value, params)}, FALSE)`
  },
  exists: (path, params) => `JSON_CONTAINS_PATH(v.metadata, 'one', ${params.add(jsonPath(path))})`,
  arrayContains(path, value, params) {
    // JSON_CONTAINS also looks into nested arrays and matches a bare scalar: elements one by one instead.
    const array = at(path, params)
    const elements = `JSON_TABLE(${at(path, params)}, '$[*]' COLUMNS (element JSON PATH '$')) AS e`
    return `coalesce(JSON_TYPE(${array}) = 'ARRAY' AND EXISTS (SELECT 1 FROM ${elements} WHERE ${scalarMatch(() => 'e.element', value, params)}), FALSE)`
  },
  numberCompare(path, cmp, value, params) {
    const type = `JSON_TYPE(${at(path, params)}) ${NUMERIC}`
    return `coalesce(${type} AND CAST(JSON_UNQUOTE(${at(path, params)}) AS DOUBLE) ${cmp} ${params.add(value)}, FALSE)`
  },
  dateText: (key, params) => `JSON_UNQUOTE(JSON_EXTRACT(v.metadata_dates, ${params.add(`$."${key}"`)}))`,
  sort(path, direction, params) {
    const type = (): string => `JSON_TYPE(${at(path, params)})`
    // Rows without the path last in both orders; then null, numbers and booleans, text.
    const missing = `(${at(path, params)} IS NULL) ASC`
    const rank = `CASE ${type()} WHEN 'NULL' THEN 0 WHEN 'BOOLEAN' THEN 1 WHEN 'STRING' THEN 2 WHEN 'ARRAY' THEN 2 WHEN 'OBJECT' THEN 2 ELSE 1 END ${direction}`
    const number = `CASE WHEN ${type()} = 'BOOLEAN' THEN JSON_UNQUOTE(${at(path, params)}) = 'true' WHEN ${type()} ${NUMERIC} THEN CAST(JSON_UNQUOTE(${at(path, params)}) AS DOUBLE) END ${direction}`
    // Arrays and objects as compact JSON in written order, which JSON_EXTRACT does not give back.
    const written = (): string => `JSON_UNQUOTE(JSON_EXTRACT(v.metadata_json_texts, ${params.add(`$."${flatKey(path)}"`)}))`
    const text = `CASE WHEN ${type()} = 'STRING' THEN ${bytes(`JSON_UNQUOTE(${at(path, params)})`)} ELSE ${bytes(written())} END ${direction}`
    return { join: '', terms: `${missing}, ${rank}, ${number}, ${text}` }
  },
}

/** `json` (a JSON value expression, written once per call of `json`) is the scalar `value`, type included. */
function scalarMatch(json: () => string, value: Scalar, params: SqlParams): string {
  if (value === null) return `JSON_TYPE(${json()}) = 'NULL'`
  if (typeof value === 'boolean') return `(JSON_TYPE(${json()}) = 'BOOLEAN' AND JSON_UNQUOTE(${json()}) = ${params.add(String(value))})`
  if (typeof value === 'number') return `(JSON_TYPE(${json()}) ${NUMERIC} AND CAST(JSON_UNQUOTE(${json()}) AS DOUBLE) = ${params.add(value)})`
  // The value test first: most rows fail it, and the server then skips the type.
  return `(${bytes(`JSON_UNQUOTE(${json()})`)} = ${bytes(params.add(value))} AND JSON_TYPE(${json()}) = 'STRING')`
}

export const mysqlDialect: SqlDialect = {
  tables: tablesIn(),
  placeholder: () => '?',
  recordColumns: RECORD_COLUMNS,
  versionInsert: VERSION_INSERT,
  jsonParam: (placeholder) => placeholder,
  isSet: (column) => `${column} = 1`,
  flag: (value) => (value ? '1' : '0'),
  TRUE: 'TRUE',
  FALSE: 'FALSE',
  storable: isStorableText,
  // ON DUPLICATE KEY fires on any unique key: each table upserted into has only the one named
  // by `conflict` (its primary key). VALUES() is MariaDB's spelling, and still MySQL 8's.
  upsert(table, columns, rows, _conflict, update) {
    const set = Object.entries(update).map(([c, how]) => (how === 'replace' ? `${c} = VALUES(${c})` : `${c} = GREATEST(${c}, VALUES(${c}))`))
    return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON DUPLICATE KEY UPDATE ${set.join(', ')}`
  },
  concat: (parts) => `CONCAT(${parts.join(', ')})`,
  includes: (haystack, needle) => `LOCATE(${needle}, ${haystack}) > 0`,
  // A recursive CTE types its columns by its first part, and strict mode refuses a trail that
  // outgrows them: wide enough for 1000 steps of the longest key (512) and version (256).
  trailSeed: (expression) => `CAST(${expression} AS CHAR(1000000) CHARACTER SET utf8mb4)`,
  // Milliseconds of the server's clock, which every machine sharing the catalogue agrees on.
  leaseNow: () => 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)',
  leaseExpiry: (ttlMs, params) => `CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) + ${params.add(Math.round(ttlMs))}`,
  readable(aclColumn: string, scope: ReadScope, params: SqlParams) {
    if (scope.superuser) return undefined
    const principals = [...new Set(['*', ...scope.principals.filter((p) => typeof p === 'string')])]
    // Added in the order they appear: `?` binds by position.
    const owner = `JSON_UNQUOTE(JSON_EXTRACT(${aclColumn}, '$.owner')) IN (${params.list(principals)})`
    const lists = listsGranting('read').map((list) => `JSON_OVERLAPS(JSON_EXTRACT(${aclColumn}, '$.${list}'), ${params.add(JSON.stringify(principals))})`)
    return `coalesce(${[owner, ...lists].join(' OR ')}, FALSE)`
  },
  // Both sides folded by JavaScript (the *_folded columns), compared byte by byte.
  textSearch(folded, params) {
    return `(LOCATE(${params.add(folded)}, v.key_folded) > 0 OR LOCATE(${params.add(folded)}, v.description_folded) > 0)`
  },
  metadata,
}
