import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { LocalCache } from './local-cache.js'
import { type LocalCacheOptions, localCacheOptionsSchema } from './local-cache-options.js'

export { LocalCache } from './local-cache.js'
export { DEFAULT_STALE_LOCK_MS, type LocalCacheOptions, localCacheOptionsSchema } from './local-cache-options.js'

/** A cache in a local folder, shared by the processes of one machine. Creating it touches nothing. */
export function createLocalCache(options: LocalCacheOptions): LocalCache {
  return new LocalCache(options)
}

export default definePlugin({
  kind: 'cache',
  name: 'local',
  specificationVersion: SPECIFICATION_VERSION,
  options: localCacheOptionsSchema,
  create: (options) => createLocalCache(options),
})
