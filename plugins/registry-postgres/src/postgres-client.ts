import { ConfigInvalidError, schemaProblems } from '@assets/core'
import postgres from 'postgres'
import {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PORT,
  DEFAULT_SCHEMA,
  type PostgresRegistryOptions,
  PostgresRegistryOptionsSchema,
  type SslMode,
} from './postgres-options.js'

export type Client = postgres.Sql
/** What a statement runs on: a lane's single-connection client (see connection-lanes.ts). */
export type Queryable = Pick<postgres.TransactionSql, 'unsafe'>

// Idle connections go back to the server after this long: a fleet of workers that each keep
// a full pool open would exhaust max_connections between jobs.
const IDLE_TIMEOUT_SECONDS = 30

export interface PostgresClient {
  /** The first single-connection client, built here so that a malformed URL fails at once. */
  first: Client
  /** Builds another single-connection client with the same settings. */
  open(): Client
  maxConnections: number
  schema: string
  /** `host:port/database`, for messages: where it tried, never with credentials. */
  target: string
}

/**
 * Checks the options and builds the first client. postgres.js opens no connection until the
 * first query, so this does no I/O. It is built here rather than on first use so that a
 * malformed URL fails when the registry is created, and without the URL (which may hold a
 * password) in the error. Each client holds one connection (see connection-lanes.ts).
 */
export function createClient(options: PostgresRegistryOptions): PostgresClient {
  const problems = schemaProblems(PostgresRegistryOptionsSchema, options, 'registry')
  if (options.url === undefined && options.host === undefined) {
    problems.push({ field: 'registry.host', message: 'set host (DB_HOST) or url' })
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems)
  const schema = options.schema ?? DEFAULT_SCHEMA
  const settings: postgres.Options<Record<string, postgres.PostgresType>> = {
    // One connection per client; BEGIN and COMMIT are sent by hand on it.
    max: 1,
    // Fetching array types on connect is where a dying connection leaves a promise rejected
    // unhandled; the one array type used (text[]) is serialised here instead.
    fetch_types: false,
    types: TYPES,
    connect_timeout: options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
    idle_timeout: IDLE_TIMEOUT_SECONDS,
    // CREATE … IF NOT EXISTS reports skipped objects as notices; they are not news.
    onnotice: () => {},
    // Names the pool in pg_stat_activity, so an operator can tell which catalogue a connection serves.
    connection: { application_name: `@assets/registry-postgres ${schema}` },
  }
  // Only what is set: a key present with an undefined value would override the URL's part.
  if (options.host !== undefined) settings.host = options.host
  if (options.port !== undefined || options.url === undefined) settings.port = options.port ?? DEFAULT_PORT
  if (options.database !== undefined) settings.database = options.database
  if (options.user !== undefined) settings.username = options.user
  if (options.password !== undefined) settings.password = options.password
  if (options.sslMode !== undefined) settings.ssl = sslSetting(options.sslMode)
  const { url } = options
  const open = (): Client => (url === undefined ? postgres(settings) : postgres(url, settings))
  let sql: Client
  try {
    sql = open()
  } catch {
    throw new ConfigInvalidError([{ field: 'registry.url', message: 'is not a valid postgres:// URL' }])
  }
  return { first: sql, open, maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, schema, target: describeTarget(sql) }
}

/** text[] parameters as array literals, each element quoted, with backslashes and quotes escaped. */
const TYPES: Record<string, postgres.PostgresType> = {
  textArray: {
    to: 1009,
    from: [1009],
    serialize: (values: unknown[]) => `{${values.map((v) => `"${String(v).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`,
    parse: (text: string) => text,
  },
}

function sslSetting(mode: SslMode): postgres.Options<Record<string, postgres.PostgresType>>['ssl'] {
  return mode === 'disable' ? false : mode
}

function describeTarget(sql: Client): string {
  const { host, port, database, path } = sql.options
  if (typeof path === 'string' && path !== '') return `${path}/${database}`
  const hosts = host.map((h, i) => `${h}:${port[i] ?? port[0] ?? DEFAULT_PORT}`)
  return `${hosts.join(',')}/${database}`
}
