import { type Static, Type } from '@assets/core'
import { serverOptionFields } from '@assets/registry-sql'

export { DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_MAX_CONNECTIONS, SSL_MODES, type SslMode } from '@assets/registry-sql'

export const DEFAULT_PORT = 5432
export const DEFAULT_SCHEMA = 'public'

/** A plain identifier: it is quoted into SQL text as the tables' schema, so nothing else is allowed. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Options of the PostgreSQL registry: the server's (url, or host and the other DB_* fields), and the schema. */
export const PostgresRegistryOptionsSchema = Type.Object(
  {
    ...serverOptionFields({
      urlPattern: '^postgres(ql)?://',
      urlExample: 'postgres://user:password@host:port/database?sslmode=require',
      defaultPort: DEFAULT_PORT,
      database: { description: 'Database name (DB_NAME); defaults to the user name, as libpq does.' },
    }),
    schema: Type.Optional(
      Type.String({
        pattern: SCHEMA_NAME.source,
        default: DEFAULT_SCHEMA,
        description: 'Schema holding the tables; created when missing. Several catalogues can share one database.',
      }),
    ),
  },
  { additionalProperties: false },
)

export type PostgresRegistryOptions = Static<typeof PostgresRegistryOptionsSchema>
