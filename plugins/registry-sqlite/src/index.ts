import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { SqlRegistry } from '@assets/registry-sql'
import { SqliteConnector } from './sqlite-connector.js'
import { sqliteDialect } from './sqlite-dialect.js'
import { type SqliteRegistryOptions, SqliteRegistryOptionsSchema } from './sqlite-options.js'

export { MIGRATIONS } from './migrations.js'
export type { Migration } from '@assets/registry-sql'
export { DEFAULT_BUSY_TIMEOUT_MS, type SqliteRegistryOptions, SqliteRegistryOptionsSchema } from './sqlite-options.js'

/** The catalogue in one SQLite file: the shared SQL registry on a better-sqlite3 connection. */
export class SqliteRegistry extends SqlRegistry {
  constructor(options: SqliteRegistryOptions) {
    super('sqlite', new SqliteConnector(options), sqliteDialect)
  }
}

/** A registry in one SQLite file. Does no I/O: the file is opened (and migrated) on first use. */
export function createSqliteRegistry(options: SqliteRegistryOptions): SqliteRegistry {
  return new SqliteRegistry(options)
}

export default definePlugin({
  kind: 'registry',
  name: 'sqlite',
  specificationVersion: SPECIFICATION_VERSION,
  options: SqliteRegistryOptionsSchema,
  create: (options) => createSqliteRegistry(options),
})
