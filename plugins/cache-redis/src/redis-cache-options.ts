import { localTierOptions, resolveLocalTierPath, type TieredCacheContext } from '@assets/cache-local'
import { ConfigInvalidError, redactUrl, type Static, schemaProblems, Type, Value } from '@assets/core'

export const DEFAULT_MAX_BLOB_BYTES = 8 * 1024 * 1024
export const DEFAULT_CHUNK_BYTES = 1024 * 1024
export const DEFAULT_KEY_PREFIX = 'assets:'
export const DEFAULT_LOCK_TTL_MS = 30_000
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000

export const redisCacheOptionsSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description: 'redis:// or rediss:// URL of the shared tier (REDIS_URL); may carry a user and password.',
    }),
    path: localTierOptions.path,
    maxBlobBytes: Type.Optional(
      Type.Integer({ minimum: 0, default: DEFAULT_MAX_BLOB_BYTES, description: 'Largest file kept in Redis; larger files and folders stay local.' }),
    ),
    chunkBytes: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_CHUNK_BYTES, description: 'Size of the pieces a blob is stored in.' })),
    keyPrefix: Type.Optional(Type.String({ default: DEFAULT_KEY_PREFIX, description: 'Prefix of every Redis key this cache writes.' })),
    lockTtlMs: Type.Optional(
      Type.Integer({ minimum: 100, default: DEFAULT_LOCK_TTL_MS, description: 'Expiry of a Redis lock whose holder stopped renewing it.' }),
    ),
    connectTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_CONNECT_TIMEOUT_MS, description: 'How long a connection attempt (and the first operation) waits for Redis.' }),
    ),
    commandTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_COMMAND_TIMEOUT_MS, description: 'A Redis command not answered within this is given up; the local tier answers.' }),
    ),
    maxBytes: localTierOptions.maxBytes,
  },
  { description: 'Options of @assets/cache-redis' },
)

export type RedisCacheOptions = Static<typeof redisCacheOptionsSchema>

/** What the cache needs besides its options; the plugin passes its context, a direct caller may omit it. */
export type RedisCacheContext = TieredCacheContext

/** Options with every default applied and checked. `where` is the URL without its password. */
export interface RedisCacheSettings {
  url: string
  where: string
  path: string
  maxBlobBytes: number
  chunkBytes: number
  keyPrefix: string
  lockTtlMs: number
  connectTimeoutMs: number
  commandTimeoutMs: number
  maxBytes: number | undefined
}

/**
 * Checks the options (the plugin loader has already done so for a config; a direct caller has
 * not) and fills in the defaults. Every message goes through the schema's redaction, and the URL
 * itself is never echoed, since it may hold a password.
 */
export function resolveSettings(options: RedisCacheOptions, context: RedisCacheContext): RedisCacheSettings {
  if (!Value.Check(redisCacheOptionsSchema, options)) {
    throw new ConfigInvalidError(schemaProblems(redisCacheOptionsSchema, options, 'cache'))
  }
  checkUrl(options.url)
  const path = resolveLocalTierPath(options.path, context)
  return {
    url: options.url,
    where: redactUrl(options.url),
    path,
    maxBlobBytes: options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    lockTtlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    maxBytes: options.maxBytes,
  }
}

function checkUrl(url: string): void {
  let protocol: string
  try {
    protocol = new URL(url).protocol
  } catch {
    throw new ConfigInvalidError([{ field: 'cache.url', message: 'not a valid URL (expected redis://[user:password@]host[:port][/db])' }])
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new ConfigInvalidError([{ field: 'cache.url', message: `expected a redis:// or rediss:// URL, got a ${protocol} URL` }])
  }
}
