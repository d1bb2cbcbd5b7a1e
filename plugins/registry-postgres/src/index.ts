import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { SqlRegistry } from '@assets/registry-sql'
import { PostgresConnector } from './postgres-connector.js'
import { type PostgresRegistryOptions, PostgresRegistryOptionsSchema } from './postgres-options.js'

export { MIGRATIONS } from './migrations.js'
export type { Migration } from '@assets/registry-sql'
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

/**
 * The catalogue in PostgreSQL, shared by many workers on many machines: the shared SQL
 * registry on a pool of postgres.js connections. Every mutation holds an advisory lock on its
 * key, so that mutations of one key queue while different keys proceed in parallel.
 */
export class PostgresRegistry extends SqlRegistry {
  constructor(options: PostgresRegistryOptions) {
    const connector = new PostgresConnector(options)
    super('postgres', connector, connector.dialect)
  }
}

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
