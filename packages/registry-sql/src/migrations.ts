import type { SqlDialect, VersionColumn } from './dialect.js'
import { rowToRecord, type VersionRow, versionValues } from './record-row.js'
import type { SqlSession } from './sql-session.js'

export interface Migration {
  version: number
  name: string
  /** Statements separated by `;` at the end of a line; run one at a time, in order. */
  sql: string
  /** Work SQL cannot do, run after the statements: recomputing derived columns in JavaScript. */
  backfill?: (session: SqlSession, dialect: SqlDialect) => Promise<void>
}

/**
 * Thrown when the schema was migrated by a newer release of the plugin: written to, it would
 * be damaged. The connector turns it into its BackendUnavailableError.
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly current: number,
    readonly latestKnown: number,
  ) {
    super(`the registry schema is version ${current}, newer than this plugin knows (${latestKnown})`)
  }
}

/** The schema version recorded in `schema_version`; 0 when the table is missing or empty. */
export async function schemaVersion(s: SqlSession, d: SqlDialect, tableExists: boolean): Promise<number> {
  if (!tableExists) return 0
  const [row] = await s.all<{ v: number | string | null }>(`SELECT max(version) AS v FROM ${d.tables.schemaVersion}`)
  return Number(row?.v ?? 0)
}

/**
 * Applies the migrations newer than the recorded version and returns their versions. The
 * connector runs it holding its migration lock (and in one transaction where DDL is
 * transactional), after which every other process finds nothing left to do. Migrations are
 * ordered and append-only: a published one is never edited, a change is a new one.
 */
export async function applyMigrations(s: SqlSession, d: SqlDialect, migrations: readonly Migration[]): Promise<number[]> {
  await s.run(`CREATE TABLE IF NOT EXISTS ${d.tables.schemaVersion} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const current = await schemaVersion(s, d, true)
  const latestKnown = migrations.at(-1)?.version ?? 0
  if (current > latestKnown) throw new SchemaTooNewError(current, latestKnown)
  const applied: number[] = []
  for (const m of migrations) {
    if (m.version <= current) continue
    for (const statement of splitStatements(m.sql)) await s.run(statement)
    await m.backfill?.(s, d)
    await s.run(`INSERT INTO ${d.tables.schemaVersion} (version, name, applied_at) VALUES (${d.placeholder(1)}, ${d.placeholder(2)}, ${d.placeholder(3)})`, [
      m.version,
      m.name,
      new Date().toISOString(),
    ])
    applied.push(m.version)
  }
  return applied
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
}

const BACKFILL_PAGE = 500

/**
 * Recomputes derived columns of every stored version from its record, in keyset pages: for a
 * migration that adds such a column or changes how it is derived.
 */
export function recomputeColumns(columns: ReadonlyArray<VersionColumn['value']>) {
  return async (s: SqlSession, d: SqlDialect): Promise<void> => {
    const targets = d.versionInsert.filter((c) => columns.includes(c.value))
    const $ = (i: number): string => d.placeholder(i)
    const set = targets.map((c, i) => `${c.column} = ${c.cast ? c.cast($(i + 1)) : $(i + 1)}`).join(', ')
    let after: { key: string; version: string } | undefined
    for (;;) {
      const page = await s.all<VersionRow>(
        `SELECT ${d.recordColumns} FROM ${d.tables.versions} AS v ${after ? `WHERE (v."key", v.version) > (${$(1)}, ${$(2)})` : ''}
         ORDER BY v."key", v.version LIMIT ${after ? $(3) : $(1)}`,
        after ? [after.key, after.version, BACKFILL_PAGE] : [BACKFILL_PAGE],
      )
      for (const row of page) {
        const values = versionValues(rowToRecord(row))
        const n = targets.length
        await s.run(`UPDATE ${d.tables.versions} SET ${set} WHERE "key" = ${$(n + 1)} AND version = ${$(n + 2)}`, [
          ...targets.map((c) => values[c.value]),
          row.key,
          row.version,
        ])
      }
      if (page.length < BACKFILL_PAGE) return
      const last = page.at(-1) as VersionRow
      after = { key: last.key, version: last.version }
    }
  }
}
