import { localTierOptions, resolveLocalTierPath, type TieredCacheContext } from '@assets/cache-local'
import { ConfigInvalidError, type Static, schemaProblems, Type, Value } from '@assets/core'

// Memcached's default item size limit is 1 MiB (`-I`); an item also carries its key, flags and
// our header, so the default stays a little under it.
export const DEFAULT_MAX_BLOB_BYTES = 1024 * 1024 - 4096
export const DEFAULT_KEY_PREFIX = 'assets:'
export const DEFAULT_LOCK_TTL_MS = 30_000
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000
export const DEFAULT_RETRY_INTERVAL_MS = 1000
export const DEFAULT_PORT = 11211
// Memcached keys are at most 250 bytes; ours are the prefix, a kind and 64 hex digits.
const LONGEST_PREFIX = 100

export const memcachedCacheOptionsSchema = Type.Object(
  {
    servers: Type.String({
      minLength: 1,
      description: 'Comma-separated host:port list of the memcached servers (MEMCACHED_SERVERS); port 11211 when omitted.',
    }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'SASL user name (MEMCACHED_USERNAME), for servers started with -S.' })),
    password: Type.Optional(Type.String({ minLength: 1, description: 'SASL password (MEMCACHED_PASSWORD).' })),
    path: localTierOptions.path,
    maxBlobBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_MAX_BLOB_BYTES,
        description: 'Largest file kept in memcached, as one item; larger files and folders stay local. At most the server\'s item size (-I) minus 1 KiB.',
      }),
    ),
    keyPrefix: Type.Optional(
      Type.String({ default: DEFAULT_KEY_PREFIX, maxLength: LONGEST_PREFIX, pattern: '^[!-~]*$', description: 'Prefix of every memcached key this cache writes.' }),
    ),
    lockTtlMs: Type.Optional(
      Type.Integer({ minimum: 2000, default: DEFAULT_LOCK_TTL_MS, description: 'Expiry of a memcached lock whose holder stopped renewing it.' }),
    ),
    connectTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_CONNECT_TIMEOUT_MS, description: 'How long connecting (and authenticating) to a server may take.' }),
    ),
    commandTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_COMMAND_TIMEOUT_MS, description: 'An operation not answered within this is given up; the local tier answers.' }),
    ),
    retryIntervalMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_RETRY_INTERVAL_MS, description: 'While memcached is unreachable, how often an operation tries it again.' }),
    ),
    maxBytes: localTierOptions.maxBytes,
  },
  { description: 'Options of @assets/cache-memcached' },
)

export type MemcachedCacheOptions = Static<typeof memcachedCacheOptionsSchema>

/** What the cache needs besides its options; the plugin passes its context, a direct caller may omit it. */
export type MemcachedCacheContext = TieredCacheContext

export interface MemcachedServerAddress {
  host: string
  port: number
}

/** Options with every default applied and checked. `where` names the servers, never the credentials. */
export interface MemcachedCacheSettings {
  servers: MemcachedServerAddress[]
  where: string
  username: string | undefined
  password: string | undefined
  path: string
  maxBlobBytes: number
  keyPrefix: string
  lockTtlMs: number
  connectTimeoutMs: number
  commandTimeoutMs: number
  retryIntervalMs: number
  maxBytes: number | undefined
}

/**
 * Checks the options (the plugin loader has already done so for a config; a direct caller has
 * not) and fills in the defaults. Messages go through the schema's redaction and never quote the
 * password.
 */
export function resolveSettings(options: MemcachedCacheOptions, context: MemcachedCacheContext): MemcachedCacheSettings {
  if (!Value.Check(memcachedCacheOptionsSchema, options)) {
    throw new ConfigInvalidError(schemaProblems(memcachedCacheOptionsSchema, options, 'cache'))
  }
  const servers = parseServers(options.servers)
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new ConfigInvalidError([
      { field: options.username === undefined ? 'cache.username' : 'cache.password', message: 'SASL needs both a user name and a password (MEMCACHED_USERNAME, MEMCACHED_PASSWORD)' },
    ])
  }
  const path = resolveLocalTierPath(options.path, context)
  return {
    servers,
    where: servers.map((server) => `${server.host}:${server.port}`).join(','),
    username: options.username,
    password: options.password,
    path,
    maxBlobBytes: options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    lockTtlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryIntervalMs: options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    maxBytes: options.maxBytes,
  }
}

/**
 * `host[:port]` items separated by commas; an IPv6 address in brackets. Credentials belong in
 * username/password: memjs would take `user:pass@host`, but a password in the server list would
 * end up in every log line that names the server, so it is refused.
 */
function parseServers(list: string): MemcachedServerAddress[] {
  const problem = (message: string) => new ConfigInvalidError([{ field: 'cache.servers', message }])
  const servers: MemcachedServerAddress[] = []
  for (const item of list.split(',').map((part) => part.trim())) {
    if (item === '') throw problem('an empty entry in the server list')
    if (item.includes('@')) throw problem('put credentials in username/password (MEMCACHED_USERNAME, MEMCACHED_PASSWORD), not in the server list')
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(item)
    const port = match?.[2] === undefined ? DEFAULT_PORT : Number(match[2])
    if (match === null || port < 1 || port > 65535) throw problem(`expected host:port, got ${JSON.stringify(item)}`)
    servers.push({ host: (match[1] as string).replace(/^\[|\]$/g, ''), port })
  }
  return servers
}
