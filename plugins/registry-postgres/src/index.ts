import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type PostgresRegistryOptions, PostgresRegistryOptionsSchema } from './postgres-options.js'
import { PostgresRegistry } from './postgres-registry.js'

export { MIGRATIONS, type Migration } from './migrations.js'
export {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PORT,
  DEFAULT_SCHEMA,
  type PostgresRegistryOptions,
  PostgresRegistryOptionsSchema,
  SSL_MODES,
  type SslMode,
} from './postgres-options.js'
export { PostgresRegistry } from './postgres-registry.js'

/**
 * A registry in a PostgreSQL schema. Does no I/O: the pool connects, and the schema is
 * migrated, on first use. Malformed options throw ConfigInvalidError here.
 */
export function createPostgresRegistry(options: PostgresRegistryOptions): PostgresRegistry {
  return new PostgresRegistry(options)
}

export default definePlugin({
  kind: 'registry',
  name: 'postgres',
  specificationVersion: SPECIFICATION_VERSION,
  options: PostgresRegistryOptionsSchema,
  create: (options) => createPostgresRegistry(options),
})
