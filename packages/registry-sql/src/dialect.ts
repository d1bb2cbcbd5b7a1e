import type { FieldClause, ReadScope, Scalar } from '@assets/core'
import type { VersionValues } from './record-row.js'
import type { SqlParams } from './sql-params.js'
import type { Tables } from './tables.js'

export type Comparator = '>' | '>=' | '<' | '<='

/** One column of a version's INSERT: where its value comes from, and the SQL around its placeholder. */
export interface VersionColumn {
  column: string
  value: keyof VersionValues
  /** PostgreSQL's `$1::text::jsonb`; the bare placeholder when absent. */
  cast?: (placeholder: string) => string
}

/**
 * Everything the shared registry needs to know about a database's SQL. Pure text builders: a
 * dialect runs nothing (its connector does). Shared statements write the column `"key"` quoted,
 * since KEY is reserved in MySQL (whose connector sets ANSI_QUOTES), and bind only text,
 * numbers and NULL. Where placeholders are `?`, values bind by position: every hook adds its
 * values with `params.add` in the order their placeholders appear in the text it returns. The
 * tables and columns the shared statements use are listed in this package's README.
 */
export interface SqlDialect {
  readonly tables: Tables
  /** The placeholder of the `index`-th bound value (1-based): `?` or `$n`. */
  placeholder(index: number): string
  /** The SELECT list of a version over alias `v`, as a VersionRow. */
  readonly recordColumns: string
  /** The columns a version's INSERT writes. */
  readonly versionInsert: readonly VersionColumn[]
  /** A JSON text value bound into a JSON column (`acl`, `details`). */
  jsonParam(placeholder: string, column: 'acl' | 'details'): string
  /** A condition: the flag column (is_latest, is_head, closed) is set. */
  isSet(column: string): string
  /** The literal of a flag value. */
  flag(value: boolean): string
  /** Conditions that always hold, and never do. */
  readonly TRUE: string
  readonly FALSE: string
  /**
   * False for text the database cannot hold (PostgreSQL: a NUL character): no stored value can
   * equal it, so a condition on it is decided without asking the server, which would refuse it.
   */
  storable(value: unknown): boolean
  /**
   * INSERT of `rows` (each a list of SQL values, placeholders already written) that, when a row
   * with the same `conflict` columns exists, sets the `update` columns: to the new value
   * (`replace`) or to the greater of the two (`greatest`).
   */
  upsert(table: string, columns: readonly string[], rows: readonly string[], conflict: readonly string[], update: Record<string, 'replace' | 'greatest'>): string
  /** Text concatenation of SQL expressions. */
  concat(parts: readonly string[]): string
  /** A condition: the text `needle` occurs in the text `haystack`. */
  includes(haystack: string, needle: string): string
  /** The lineage trail's first value: a recursive query types its columns by its first part. */
  trailSeed(expression: string): string
  /** The current time, and the time `ttlMs` from now, as the lease table stores them. */
  leaseNow(params: SqlParams): string
  leaseExpiry(ttlMs: number, params: SqlParams): string
  /**
   * The read check on an ACL JSON column, or undefined for a superuser. A row is visible when
   * its owner or a principal of any list granting read (read, write, admin) is one of the
   * scope's principals; `*` is always one of them.
   */
  readable(aclColumn: string, scope: ReadScope, params: SqlParams): string | undefined
  /** `text` filter: the folded text occurs in the folded key or description. */
  textSearch(folded: string, params: SqlParams): string
  readonly metadata: MetadataSql
}

/**
 * The query language on `v.metadata`. Paths are checked segments; every result is a condition
 * that is TRUE or FALSE, never NULL, so that NOT gives a true complement.
 */
export interface MetadataSql {
  /** An index-friendly condition tested before the exact ones (SQLite's signature), if any. */
  prefilter?(clauses: readonly FieldClause[], params: SqlParams): string | undefined
  /** The value at the path equals `value`, type included (`2` equals `2.0`, not `"2"`). */
  equals(path: readonly string[], value: Scalar, params: SqlParams): string
  /** The path is present, even as null, walking object members only. */
  exists(path: readonly string[], params: SqlParams): string
  /** The value at the path is an array holding an element equal to `value`. */
  arrayContains(path: readonly string[], value: Scalar, params: SqlParams): string
  /** The value at the path is a JSON number and compares so with `value`. */
  numberCompare(path: readonly string[], cmp: Comparator, value: number, params: SqlParams): string
  /**
   * The instant stored for the path in `v.metadata_dates` (keyed by `flatKey`), as text that
   * compares byte by byte, or NULL.
   */
  dateText(flatKey: string, params: SqlParams): string
  /**
   * ORDER BY terms on the path: rows without it last in either order; then JSON null, then
   * numbers and booleans (true as 1) by value, then strings, arrays and objects by their text
   * (strings as themselves, the others as compact JSON in written order), byte by byte.
   */
  sort(path: readonly string[], direction: 'ASC' | 'DESC', params: SqlParams): { join: string; terms: string }
}
