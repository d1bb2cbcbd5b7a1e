import type { SqlValue } from './sql-session.js'

/**
 * Collects bound values while SQL text is assembled: `add` returns the placeholder to write
 * (`?` or `$n`, as the dialect numbers them). Only fixed SQL text and these placeholders ever
 * make up a statement. A placeholder is written once: with `?` a value is bound by position, so
 * a value used twice is added twice.
 */
export class SqlParams {
  readonly values: SqlValue[] = []

  constructor(private readonly placeholder: (index: number) => string) {}

  add(value: SqlValue): string {
    this.values.push(value)
    return this.placeholder(this.values.length)
  }

  /** Placeholders for a list of values, comma-separated, for `IN (…)` and `VALUES (…)`. */
  list(values: readonly SqlValue[]): string {
    return values.map((v) => this.add(v)).join(', ')
  }
}
