/** What better-sqlite3 binds: booleans never reach SQL (JSON types are tested with json_type). */
export type SqlValue = string | number | null

/** A piece of SQL and the values bound to its `?` placeholders, in order. */
export interface SqlFragment {
  sql: string
  params: SqlValue[]
}

export function joinFragments(parts: SqlFragment[], separator: string): SqlFragment {
  return { sql: parts.map((p) => p.sql).join(separator), params: parts.flatMap((p) => p.params) }
}
