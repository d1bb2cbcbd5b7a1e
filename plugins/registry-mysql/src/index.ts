import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { SqlRegistry } from '@assets/registry-sql'
import { MysqlConnector } from './mysql-connector.js'
import { mysqlDialect } from './mysql-dialect.js'
import { type MysqlRegistryOptions, MysqlRegistryOptionsSchema } from './mysql-options.js'

export { MIGRATIONS } from './migrations.js'
export type { Migration } from '@assets/registry-sql'
export { lockName } from './write-locks.js'
export {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PORT,
  type MysqlRegistryOptions,
  MysqlRegistryOptionsSchema,
  SSL_MODES,
  type SslMode,
} from './mysql-options.js'

/** The catalogue in a MySQL or MariaDB database: the shared SQL registry on a mysql2 pool. */
export class MysqlRegistry extends SqlRegistry {
  constructor(options: MysqlRegistryOptions) {
    super('mysql', new MysqlConnector(options), mysqlDialect)
  }
}

/** A registry in a MySQL/MariaDB database. Does no I/O: it connects (and migrates) on first use. */
export function createMysqlRegistry(options: MysqlRegistryOptions): MysqlRegistry {
  return new MysqlRegistry(options)
}

export default definePlugin({
  kind: 'registry',
  name: 'mysql',
  specificationVersion: SPECIFICATION_VERSION,
  options: MysqlRegistryOptionsSchema,
  create: (options) => createMysqlRegistry(options),
})
