import { type FieldClause, listsGranting, querySignature, type ReadScope, type Scalar } from '@assets/core'
import { type MetadataSql, type SqlDialect, type SqlParams, tablesIn, type VersionColumn } from '@assets/registry-sql'

const NUMERIC = `IN ('integer', 'real')`

/** `$."a"."b"`: a JSON path that walks object members only. */
const jsonPath = (segments: readonly string[]): string => `$${segments.map((s) => `."${s}"`).join('')}`

const VERSION_INSERT: VersionColumn[] = (
  [
    'key', 'version', 'kind', 'type', 'digest', 'size', 'file_count', 'location', 'file_name', 'description', 'metadata', 'metadata_sig',
    'metadata_dates', 'provenance', 'specs', 'declarative_schema', 'relationships', 'acl', 'created_by', 'created_at', 'expires_at',
    'v_major', 'v_minor', 'v_patch', 'v_prerelease',
  ] as const
).map((value) => ({ column: value === 'key' ? '"key"' : value, value }))

/**
 * SQLite's SQL: JSON through json_extract, json_type and json_each on the text as written.
 * Equality filters first test the metadata signature (core's metadataSignature) inside the
 * index that orders the latest versions, and parse the JSON of only the rows whose bits match.
 */
const metadata: MetadataSql = {
  prefilter(clauses: readonly FieldClause[], params: SqlParams) {
    const signature = querySignature(clauses)
    return signature === 0 ? undefined : `(v.metadata_sig & ${params.add(signature)}) = ${params.add(signature)}`
  },
  equals(path, value, params) {
    const p = jsonPath(path)
    if (value === null) return `coalesce(json_type(v.metadata, ${params.add(p)}) = 'null', 0)`
    if (typeof value === 'boolean') return `coalesce(json_type(v.metadata, ${params.add(p)}) = ${params.add(String(value))}, 0)`
    const type = typeof value === 'number' ? NUMERIC : `= 'text'`
    // The value test first: most rows fail it, and SQLite then skips parsing the type.
    return `coalesce(json_extract(v.metadata, ${params.add(p)}) = ${params.add(value)} AND json_type(v.metadata, ${params.add(p)}) ${type}, 0)`
  },
  exists: (path, params) => `json_type(v.metadata, ${params.add(jsonPath(path))}) IS NOT NULL`,
  arrayContains(path, value, params) {
    const p = jsonPath(path)
    const first = `json_type(v.metadata, ${params.add(p)}) = 'array'`
    const each = `json_each(v.metadata, ${params.add(p)}) AS element`
    // json_each also walks objects and yields a scalar itself: only arrays can contain.
    return `(${first} AND EXISTS (SELECT 1 FROM ${each} WHERE ${elementMatch(value, params)}))`
  },
  numberCompare(path, cmp, value, params) {
    const p = jsonPath(path)
    return `coalesce(json_type(v.metadata, ${params.add(p)}) ${NUMERIC} AND json_extract(v.metadata, ${params.add(p)}) ${cmp} ${params.add(value)}, 0)`
  },
  dateText: (key, params) => `json_extract(v.metadata_dates, ${params.add(`$."${key}"`)})`,
  // json_extract's own order is the contract's: null, numbers (true 1, false 0), then text
  // (strings as themselves, arrays and objects as their JSON text).
  sort(path, direction, params) {
    const p = jsonPath(path)
    return { join: '', terms: `(json_type(v.metadata, ${params.add(p)}) IS NULL) ASC, json_extract(v.metadata, ${params.add(p)}) ${direction}` }
  },
}

function elementMatch(value: Scalar, params: SqlParams): string {
  if (value === null) return `element.type = 'null'`
  if (typeof value === 'boolean') return `element.type = ${params.add(String(value))}`
  const type = typeof value === 'number' ? NUMERIC : `= 'text'`
  return `element.type ${type} AND element.value = ${params.add(value)}`
}

export const sqliteDialect: SqlDialect = {
  tables: tablesIn(),
  placeholder: () => '?',
  recordColumns: 'v.*',
  versionInsert: VERSION_INSERT,
  jsonParam: (placeholder) => placeholder,
  isSet: (column) => `${column} = 1`,
  flag: (value) => (value ? '1' : '0'),
  TRUE: '1',
  FALSE: '0',
  storable: () => true,
  upsert(table, columns, rows, conflict, update) {
    const set = Object.entries(update).map(([c, how]) => (how === 'replace' ? `${c} = excluded.${c}` : `${c} = max(${c}, excluded.${c})`))
    return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${set.join(', ')}`
  },
  concat: (parts) => parts.join(' || '),
  includes: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
  trailSeed: (expression) => expression,
  // Milliseconds of this process's clock: a SQLite catalogue lives on one machine.
  leaseNow: (params) => params.add(Date.now()),
  leaseExpiry: (ttlMs, params) => params.add(Date.now() + ttlMs),
  readable(aclColumn: string, scope: ReadScope, params: SqlParams) {
    if (scope.superuser) return undefined
    const principals = [...new Set(['*', ...scope.principals.filter((p) => typeof p === 'string')])]
    // Added in the order they appear: `?` binds by position.
    const each = `json_each(${params.add(JSON.stringify(principals))}) AS principal`
    const granted = listsGranting('read')
      .map((list) => `SELECT value FROM json_each(${aclColumn}, ${params.add(`$.${list}`)})`)
      .join(' UNION ALL ')
    return `EXISTS (SELECT 1 FROM ${each} WHERE principal.value = json_extract(${aclColumn}, '$.owner') OR principal.value IN (${granted}))`
  },
  // SQLite's lower() and LIKE fold ASCII only; assets_fold_case is JavaScript's toLowerCase.
  textSearch(folded, params) {
    const a = params.add(folded)
    const b = params.add(folded)
    return `(instr(assets_fold_case(v."key"), ${a}) > 0 OR instr(assets_fold_case(coalesce(v.description, '')), ${b}) > 0)`
  },
  metadata,
}
