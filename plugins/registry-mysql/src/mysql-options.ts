import { type Static, Type } from '@assets/core'
import { serverOptionFields } from '@assets/registry-sql'

export { DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_MAX_CONNECTIONS, SSL_MODES, type SslMode } from '@assets/registry-sql'

export const DEFAULT_PORT = 3306

/** Options of the MySQL/MariaDB registry: the server's (url, or host and the other DB_* fields). */
export const MysqlRegistryOptionsSchema = Type.Object(
  serverOptionFields({
    urlPattern: '^(mysql|mariadb)://',
    urlExample: 'mysql://user:password@host:port/database?sslMode=require (mariadb:// too)',
    defaultPort: DEFAULT_PORT,
    database: { description: 'Database (DB_NAME) holding the tables. It must exist; the tables are created in it.', maxLength: 64 },
  }),
  { additionalProperties: false },
)

export type MysqlRegistryOptions = Static<typeof MysqlRegistryOptionsSchema>
