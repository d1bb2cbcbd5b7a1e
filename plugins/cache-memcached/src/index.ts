import { definePlugin, type Logger, SPECIFICATION_VERSION } from '@assets/core'
import { MemcachedCache } from './memcached-cache.js'
import { type MemcachedCacheContext, type MemcachedCacheOptions, memcachedCacheOptionsSchema, resolveSettings } from './memcached-cache-options.js'

export { MemcachedCache, type MemcachedCacheStats } from './memcached-cache.js'
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LOCK_TTL_MS,
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_RETRY_INTERVAL_MS,
  type MemcachedCacheContext,
  type MemcachedCacheOptions,
  memcachedCacheOptionsSchema,
} from './memcached-cache-options.js'

/**
 * A memcached tier shared by many workers, over a local disk tier per worker. Creating it checks
 * the options and touches nothing: memcached is connected on first use. `context` supplies the
 * default local folder (`cacheDir`) and where warnings go (default: the console).
 */
export function createMemcachedCache(options: MemcachedCacheOptions, context: MemcachedCacheContext = {}): MemcachedCache {
  return new MemcachedCache(resolveSettings(options, context), context.logger ?? consoleLogger)
}

export default definePlugin({
  kind: 'cache',
  name: 'memcached',
  specificationVersion: SPECIFICATION_VERSION,
  options: memcachedCacheOptionsSchema,
  create: (options, context) => createMemcachedCache(options, context),
})

const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
  info: (message) => console.info(message),
}
