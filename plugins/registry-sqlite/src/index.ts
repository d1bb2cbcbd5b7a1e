import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type SqliteRegistryOptions, SqliteRegistryOptionsSchema } from './sqlite-options.js'
import { SqliteRegistry } from './sqlite-registry.js'

export { MIGRATIONS, type Migration } from './migrations.js'
export { DEFAULT_BUSY_TIMEOUT_MS, type SqliteRegistryOptions, SqliteRegistryOptionsSchema } from './sqlite-options.js'
export { SqliteRegistry } from './sqlite-registry.js'

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
