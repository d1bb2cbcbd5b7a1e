import type postgres from 'postgres'
import type { Queryable } from './postgres-client.js'

/** A value bound to a `$n` placeholder; objects and arrays reach `::jsonb` and `::text[]` casts. */
export type SqlValue = postgres.ParameterOrJSON<never>

/**
 * Collects bound values while SQL text is assembled: `add` returns the placeholder to write.
 * Only fixed SQL text and these placeholders ever make up a statement.
 */
export class SqlParams {
  readonly values: SqlValue[] = []

  add(value: SqlValue): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/**
 * Runs one statement. Fixed statements are prepared once per connection; statements a query
 * compiles are not, since their text varies with every combination of filters.
 */
export async function run<T>(db: Queryable, text: string, params: SqlValue[] = [], prepare = true): Promise<T[]> {
  return await db.unsafe<T[]>(text, params, { prepare })
}
