import { listsGranting, type ReadScope, type Scalar } from '@assets/core'
import { type MetadataSql, type SqlDialect, type SqlParams, type Tables, tablesIn, type VersionColumn } from '@assets/registry-sql'

// Checked by the shared compiler; each segment is a plain name.
const strictJsonPath = (segments: readonly string[]): string => `strict $${segments.map((s) => `."${s}"`).join('')}`

/**
 * The document `metadata @>` tests for a value at a path: `{"stats": {"n_cells": 5}}`.
 * Containment compares like with like (a number only equals a number, `2` equals `2.0`) and,
 * for a scalar, needs an exact member chain, so it is `$eq` with the contract's typing, and it
 * uses the GIN index.
 */
function containment(segments: readonly string[], leaf: Scalar | Scalar[], params: SqlParams): string {
  // fromEntries defines own properties, so a segment named __proto__ stays an ordinary key.
  const document = segments.reduceRight<unknown>((inner, segment) => Object.fromEntries([[segment, inner]]), leaf)
  return `(v.metadata @> ${params.add(JSON.stringify(document))}::text::jsonb)`
}

const json = (placeholder: string): string => `${placeholder}::text::json`
const jsonb = (placeholder: string): string => `${placeholder}::text::jsonb`

const CASTS: Partial<Record<VersionColumn['value'], (p: string) => string>> = {
  metadata_dates: jsonb,
  metadata_json_texts: jsonb,
  provenance: json,
  specs: json,
  declarative_schema: json,
  relationships: json,
  acl: jsonb,
}

// jsonb (queried, GIN-indexed) and json (the document as written) of the same metadata.
const VERSION_INSERT: VersionColumn[] = [
  ...(
    [
      'key', 'version', 'kind', 'type', 'digest', 'size', 'file_count', 'location', 'file_name', 'description', 'metadata_dates',
      'metadata_json_texts', 'key_folded', 'description_folded', 'provenance', 'specs', 'declarative_schema', 'relationships', 'acl',
      'created_by', 'created_at', 'expires_at', 'v_major', 'v_minor', 'v_patch', 'v_prerelease',
    ] as const
  ).map((value) => ({ column: value === 'key' ? '"key"' : value, value, cast: CASTS[value] })),
  { column: 'metadata', value: 'metadata', cast: jsonb },
  { column: 'metadata_json', value: 'metadata', cast: json },
]

/** JSON columns come back as the text written, so a stored JSON null stays distinct from an absent field. */
const RECORD_COLUMNS = [
  'v.key', 'v.version', 'v.kind', 'v.type', 'v.digest', 'v.size', 'v.file_count', 'v.location', 'v.file_name', 'v.description',
  'v.metadata_json::text AS metadata', 'v.provenance::text AS provenance', 'v.specs::text AS specs',
  'v.declarative_schema::text AS declarative_schema', 'v.relationships::text AS relationships', 'v.acl::text AS acl', 'v.created_by',
  'v.created_at', 'v.deleted_at', 'v.deleted_by', 'v.expires_at',
].join(', ')

const metadata: MetadataSql = {
  equals: (path, value, params) => containment(path, value, params),
  arrayContains: (path, value, params) => containment(path, [value], params),
  // Present, even as null, through object members only.
  exists: (path, params) => `coalesce(v.metadata @? ${params.add(strictJsonPath(path))}::jsonpath, FALSE)`,
  numberCompare(path, cmp, value, params) {
    const found = `jsonb_path_query_first(v.metadata, ${params.add(strictJsonPath(path))}::jsonpath, '{}', TRUE)`
    // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and the cast fails on non-numbers.
    return `(CASE WHEN jsonb_typeof(${found}) = 'number' THEN (${found})::numeric ${cmp} ${params.add(value)}::numeric ELSE FALSE END)`
  },
  dateText: (key, params) => `((v.metadata_dates ->> ${params.add(key)}::text) COLLATE "C")`,
  sort(path, dir, params) {
    const found = `jsonb_path_query_first(v.metadata, ${params.add(strictJsonPath(path))}::jsonpath, '{}', TRUE)`
    const type = 'jsonb_typeof(s.value)'
    const join = ` LEFT JOIN LATERAL (SELECT ${found} AS value) AS s ON TRUE`
    const rank = `CASE ${type} WHEN 'null' THEN 0 WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 ELSE 2 END`
    const number = `CASE ${type} WHEN 'number' THEN (s.value)::numeric WHEN 'boolean' THEN CASE WHEN (s.value)::boolean THEN 1 ELSE 0 END END`
    const text = `(CASE ${type} WHEN 'string' THEN s.value #>> '{}' ELSE v.metadata_json_texts ->> ${params.add(path.join('.'))}::text END) COLLATE "C"`
    return { join, terms: `(s.value IS NULL) ASC, ${rank} ${dir}, ${number} ${dir}, ${text} ${dir}` }
  },
}

/** False for text holding a NUL character, which PostgreSQL cannot store. */
const storable = (value: unknown): boolean => typeof value !== 'string' || !value.includes('\0')

/**
 * PostgreSQL's SQL: metadata filters as jsonb containment and jsonpath, answered from the GIN
 * index; every compared text column in the "C" collation (byte order, as SQLite compares);
 * leases timed by the server's clock, so that workers' clocks never have to agree.
 */
export function postgresDialect(schema: string): SqlDialect {
  const tables: Tables = tablesIn(schema)
  return {
    tables,
    placeholder: (i) => `$${i}`,
    recordColumns: RECORD_COLUMNS,
    versionInsert: VERSION_INSERT,
    jsonParam: (placeholder, column) => (column === 'acl' ? jsonb(placeholder) : json(placeholder)),
    isSet: (column) => column,
    flag: (value) => (value ? 'TRUE' : 'FALSE'),
    TRUE: 'TRUE',
    FALSE: 'FALSE',
    storable,
    upsert(table, columns, rows, conflict, update) {
      const set = Object.entries(update).map(([c, how]) => (how === 'replace' ? `${c} = excluded.${c}` : `${c} = greatest(${table}.${c}, excluded.${c})`))
      return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${set.join(', ')}`
    },
    concat: (parts) => parts.join(' || '),
    includes: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
    trailSeed: (expression) => `(${expression})::text`,
    leaseNow: () => 'now()',
    leaseExpiry: (ttlMs, params) => `now() + ${params.add(ttlMs)} * interval '1 millisecond'`,
    readable(aclColumn: string, scope: ReadScope, params: SqlParams) {
      if (scope.superuser) return undefined
      // A principal holding a NUL character cannot match a stored one and is left out.
      const principals = params.add([...new Set(['*', ...scope.principals.filter((p) => typeof p === 'string' && storable(p))])])
      const lists = listsGranting('read').map((list) => `(${aclColumn} -> ${params.add(list)}::text) ?| ${principals}::text[]`)
      return `((${aclColumn} ->> 'owner') = ANY(${principals}::text[]) OR ${lists.join(' OR ')})`
    },
    textSearch(folded, params) {
      const text = params.add(folded)
      return `(strpos(v.key_folded, ${text}) > 0 OR strpos(v.description_folded, ${text}) > 0)`
    },
    metadata,
  }
}
