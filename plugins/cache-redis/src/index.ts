import { definePlugin, type Logger, SPECIFICATION_VERSION } from '@assets/core'
import { RedisCache } from './redis-cache.js'
import { type RedisCacheContext, type RedisCacheOptions, redisCacheOptionsSchema, resolveSettings } from './redis-cache-options.js'

export { RedisCache, type RedisCacheStats } from './redis-cache.js'
export {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LOCK_TTL_MS,
  DEFAULT_MAX_BLOB_BYTES,
  type RedisCacheContext,
  type RedisCacheOptions,
  redisCacheOptionsSchema,
} from './redis-cache-options.js'

/**
 * A Redis tier shared by many workers, over a local disk tier per worker. Creating it checks the
 * options and touches nothing: Redis is connected on first use. `context` supplies the default
 * local folder (`cacheDir`) and where warnings go (default: the console).
 */
export function createRedisCache(options: RedisCacheOptions, context: RedisCacheContext = {}): RedisCache {
  return new RedisCache(resolveSettings(options, context), context.logger ?? consoleLogger)
}

export default definePlugin({
  kind: 'cache',
  name: 'redis',
  specificationVersion: SPECIFICATION_VERSION,
  options: redisCacheOptionsSchema,
  create: (options, context) => createRedisCache(options, context),
})

const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
  info: (message) => console.info(message),
}
