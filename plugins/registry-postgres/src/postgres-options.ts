import { type Static, Type } from '@assets/core'

export const DEFAULT_PORT = 5432
export const DEFAULT_SCHEMA = 'public'
export const DEFAULT_MAX_CONNECTIONS = 10
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5

/** A plain identifier: it is quoted into SQL text as the tables' schema, so nothing else is allowed. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/**
 * Options of the PostgreSQL registry. Give `url`, or `host` with the other connection fields;
 * fields given next to `url` override its parts. The config layer maps `DB_HOST`, `DB_PORT`,
 * `DB_NAME`, `DB_USER`, `DB_PASSWORD` and `DB_SSL_MODE` to them.
 */
export const PostgresRegistryOptionsSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        description: 'Connection URL, postgres://user:password@host:port/database?sslmode=require.',
      }),
    ),
    host: Type.Optional(Type.String({ minLength: 1, description: 'Server host name or address (DB_HOST).' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: DEFAULT_PORT, description: 'Server port (DB_PORT).' })),
    database: Type.Optional(Type.String({ minLength: 1, description: 'Database name (DB_NAME); defaults to the user name, as libpq does.' })),
    user: Type.Optional(Type.String({ minLength: 1, description: 'User name (DB_USER).' })),
    password: Type.Optional(Type.String({ description: 'Password (DB_PASSWORD). Never printed.' })),
    sslMode: Type.Optional(
      Type.Union(
        SSL_MODES.map((mode) => Type.Literal(mode)),
        { description: 'TLS: disable, prefer, require (encrypt, no certificate check) or verify-full (DB_SSL_MODE).' },
      ),
    ),
    schema: Type.Optional(
      Type.String({
        pattern: SCHEMA_NAME.source,
        default: DEFAULT_SCHEMA,
        description: 'Schema holding the tables; created when missing. Several catalogues can share one database.',
      }),
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

export type PostgresRegistryOptions = Static<typeof PostgresRegistryOptionsSchema>
