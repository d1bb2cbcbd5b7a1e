import { Type } from '@assets/core'

export const DEFAULT_MAX_CONNECTIONS = 10
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/**
 * The options every registry on a database server takes, for its options schema: `url`, or
 * `host` with the other fields (fields given next to `url` override its parts). The config
 * layer maps `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD` and `DB_SSL_MODE` to
 * them.
 */
export function serverOptionFields(server: { urlPattern: string; urlExample: string; defaultPort: number; database: { description: string; maxLength?: number } }) {
  return {
    url: Type.Optional(Type.String({ pattern: server.urlPattern, description: `Connection URL, ${server.urlExample}.` })),
    host: Type.Optional(Type.String({ minLength: 1, description: 'Server host name or address (DB_HOST).' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: server.defaultPort, description: 'Server port (DB_PORT).' })),
    database: Type.Optional(Type.String({ minLength: 1, ...(server.database.maxLength ? { maxLength: server.database.maxLength } : {}), description: server.database.description })),
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
  }
}
