import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { LocalCache } from './local-cache.js'
import { type LocalCacheOptions, localCacheOptionsSchema } from './local-cache-options.js'

export { LocalCache } from './local-cache.js'
export { DEFAULT_STALE_LOCK_MS, type LocalCacheOptions, localCacheOptionsSchema } from './local-cache-options.js'
export { localTierOptions, resolveLocalTierPath, type TieredCacheContext } from './local-tier-options.js'
export { PendingValueChanges, type ValueReplay } from './pending-value-changes.js'
export { PollBackoff } from './poll-backoff.js'
export { RenewedLock } from './renewed-lock.js'
export { checkSharedKey, serialiseSharedValue, ttlSecondsToMs } from './shared-value-text.js'
export { TieredCache } from './tiered-cache.js'
export { TieredLock } from './tiered-lock.js'

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
