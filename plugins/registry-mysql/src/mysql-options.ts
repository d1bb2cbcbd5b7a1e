import { type Static, Type } from '@assets/core'

export const DEFAULT_PORT = 3306
export const DEFAULT_MAX_CONNECTIONS = 10
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/**
 * Options of the MySQL/MariaDB registry. Give `url`, or `host` with the other connection
 * fields; fields given next to `url` override its parts. The config layer maps `DB_HOST`,
 * `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD` and `DB_SSL_MODE` to them.
 */
export const MysqlRegistryOptionsSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^(mysql|mariadb)://',
        description: 'Connection URL, mysql://user:password@host:port/database?sslMode=require (mariadb:// too).',
      }),
    ),
    host: Type.Optional(Type.String({ minLength: 1, description: 'Server host name or address (DB_HOST).' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: DEFAULT_PORT, description: 'Server port (DB_PORT).' })),
    database: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Database (DB_NAME) holding the tables. It must exist; the tables are created in it.' }),
    ),
    user: Type.Optional(Type.String({ minLength: 1, description: 'User name (DB_USER).' })),
    password: Type.Optional(Type.String({ description: 'Password (DB_PASSWORD). Never printed.' })),
    sslMode: Type.Optional(
      Type.Union(
        SSL_MODES.map((mode) => Type.Literal(mode)),
        { description: 'TLS: disable, prefer, require (encrypt, no certificate check) or verify-full (DB_SSL_MODE).' },
      ),
    ),
    maxConnections: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_MAX_CONNECTIONS, description: 'Size of the connection pool of this process.' }),
    ),
    connectTimeoutSeconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, default: DEFAULT_CONNECT_TIMEOUT_SECONDS, description: 'How long opening a connection may take.' }),
    ),
  },
  { additionalProperties: false },
)

export type MysqlRegistryOptions = Static<typeof MysqlRegistryOptionsSchema>
