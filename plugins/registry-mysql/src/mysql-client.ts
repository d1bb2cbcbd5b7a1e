import { ConfigInvalidError, schemaProblems } from '@assets/core'
import type { PoolOptions } from 'mysql2'
import {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PORT,
  type MysqlRegistryOptions,
  MysqlRegistryOptionsSchema,
  SSL_MODES,
  type SslMode,
} from './mysql-options.js'

// Idle connections go back to the server after this long: a fleet of workers that each keep
// a full pool open would exhaust max_connections between jobs.
const IDLE_TIMEOUT_MS = 30_000

export interface MysqlClientSettings {
  /** mysql2 pool options, TLS included; `prefer` starts with TLS (see `sslMode`). */
  pool: PoolOptions
  sslMode: SslMode
  database: string
  /** `host:port/database`, for messages: where it tried, never with credentials. */
  target: string
}

/**
 * Checks the options and turns them (and the URL's parts) into mysql2 pool settings. Does no
 * I/O. The URL is parsed here rather than by mysql2 so that a malformed one fails when the
 * registry is created, without the URL (which may hold a password) in the error.
 */
export function clientSettings(options: MysqlRegistryOptions): MysqlClientSettings {
  const problems = schemaProblems(MysqlRegistryOptionsSchema, options, 'registry')
  if (options.url === undefined && options.host === undefined) problems.push({ field: 'registry.host', message: 'set host (DB_HOST) or url' })
  if (problems.length > 0) throw new ConfigInvalidError(problems)
  const fromUrl = options.url === undefined ? {} : parseUrl(options.url)
  const merged = { ...fromUrl, ...definedOnly(options) }
  const host = merged.host ?? '127.0.0.1'
  const port = merged.port ?? DEFAULT_PORT
  const database = merged.database
  if (database === undefined) throw new ConfigInvalidError([{ field: 'registry.database', message: 'set database (DB_NAME): the database holding the tables' }])
  const sslMode = merged.sslMode ?? 'disable'
  const pool: PoolOptions = {
    host,
    port,
    database,
    connectionLimit: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxIdle: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    idleTimeout: IDLE_TIMEOUT_MS,
    connectTimeout: Math.ceil((options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000),
    // utf8mb4 with the binary collation, so that literals compare byte by byte like the columns.
    charset: 'UTF8MB4_BIN',
    // BIGINT as numbers while they are safe integers (sizes, ids, the signature), else strings.
    supportBigNumbers: true,
    bigNumberStrings: false,
    // JSON as the text that was written (MariaDB flags a json_valid-checked LONGTEXT as JSON):
    // the shared layer parses it, keeping key order and a stored null.
    jsonStrings: true,
    // TCP keepalive: a connection a firewall dropped is noticed rather than hung on.
    enableKeepAlive: true,
    // A request waiting for a connection fails instead of waiting for ever when the pool is full of dead ones.
    queueLimit: 0,
  }
  if (merged.user !== undefined) pool.user = merged.user
  if (merged.password !== undefined) pool.password = merged.password
  if (sslMode !== 'disable') pool.ssl = sslMode === 'verify-full' ? { rejectUnauthorized: true } : { rejectUnauthorized: false }
  return { pool, sslMode, database, target: `${host}:${port}/${database}` }
}

interface ConnectionFields {
  host?: string
  port?: number
  database?: string
  user?: string
  password?: string
  sslMode?: SslMode
}

function definedOnly(options: MysqlRegistryOptions): ConnectionFields {
  const out: ConnectionFields = {}
  for (const field of ['host', 'port', 'database', 'user', 'password', 'sslMode'] as const) {
    if (options[field] !== undefined) (out as Record<string, unknown>)[field] = options[field]
  }
  return out
}

/** mysql://user:password@host:port/database?sslMode=require; mariadb:// is the same. */
function parseUrl(url: string): ConnectionFields {
  const invalid = (message: string): never => {
    throw new ConfigInvalidError([{ field: 'registry.url', message }])
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return invalid('is not a valid mysql:// URL')
  }
  const out: ConnectionFields = {}
  if (parsed.hostname !== '') out.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (parsed.port !== '') out.port = Number(parsed.port)
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  if (database !== '') out.database = database
  if (parsed.username !== '') out.user = decodeURIComponent(parsed.username)
  if (parsed.password !== '') out.password = decodeURIComponent(parsed.password)
  for (const [name, value] of parsed.searchParams) {
    if (!/^ssl-?mode$/i.test(name)) continue
    const mode = value.toLowerCase().replace(/_/g, '-')
    // MySQL's own spellings too: PREFERRED, REQUIRED, VERIFY_IDENTITY.
    const known: Record<string, SslMode> = { preferred: 'prefer', required: 'require', 'verify-identity': 'verify-full', disabled: 'disable' }
    const sslMode = known[mode] ?? mode
    if (!(SSL_MODES as readonly string[]).includes(sslMode)) invalid(`sslMode must be one of ${SSL_MODES.join(', ')}`)
    out.sslMode = sslMode as SslMode
  }
  return out
}
