import { createLocalCache, TieredCache } from '@assets/cache-local'
import type { CacheLock, CacheSetOptions, CacheStats, Logger } from '@assets/core'
import { BlobTier, type SharedCounts } from './blob-tier.js'
import type { RedisCacheSettings } from './redis-cache-options.js'
import { BYPASS, RedisConnection } from './redis-connection.js'
import { RedisKeys } from './redis-keys.js'
import { acquireRedisLock } from './redis-lock.js'
import { SharedValues, ttlToMs } from './shared-values.js'

export interface RedisCacheStats extends CacheStats {
  redis: {
    /** Whether operations go to Redis right now (false: the local tier answers alone). */
    available: boolean
    /** Gets answered by copying a blob from Redis into the local tier (included in `hits`). */
    hits: number
  } & Partial<SharedCounts>
}

/**
 * A shared tier in front of storage for many workers on many machines: each worker keeps a
 * local disk tier (which hands out the paths), and Redis holds small content blobs, shared
 * values and cross-machine locks. Redis is an accelerator, never a dependency: without it every
 * operation is answered by the local tier.
 */
export class RedisCache extends TieredCache {
  readonly name = 'redis'
  private readonly connection: RedisConnection
  private readonly keys: RedisKeys
  private readonly blobs: BlobTier
  private readonly values: SharedValues
  // Content deleted while Redis was away; its shared copy goes when Redis comes back.
  private readonly pendingDeletes = new Set<string>()

  constructor(
    private readonly settings: RedisCacheSettings,
    logger: Logger,
  ) {
    super(createLocalCache({ path: settings.path, maxBytes: settings.maxBytes }))
    this.connection = new RedisConnection({
      url: settings.url,
      where: settings.where,
      localPath: settings.path,
      connectTimeoutMs: settings.connectTimeoutMs,
      commandTimeoutMs: settings.commandTimeoutMs,
      logger,
    })
    this.keys = new RedisKeys(settings.keyPrefix)
    this.blobs = new BlobTier(this.connection, this.keys, { maxBlobBytes: settings.maxBlobBytes, chunkBytes: settings.chunkBytes, logger })
    this.values = new SharedValues(this.connection, this.keys, this.local)
    this.connection.onRecovery(async (client) => {
      for (const key of [...this.pendingDeletes]) {
        await this.blobs.removeWith(client, key)
        this.pendingDeletes.delete(key)
      }
    })
  }

  async has(key: string): Promise<boolean> {
    return (await this.local.has(key)) || (await this.blobs.has(key))
  }

  async set(key: string, path: string, options: CacheSetOptions = {}): Promise<string> {
    const entry = await this.local.set(key, path, options)
    await this.blobs.share(key, entry, ttlToMs(key, options.ttl))
    return entry
  }

  async delete(key: string): Promise<void> {
    await this.local.delete(key)
    if ((await this.blobs.remove(key)) === BYPASS) this.pendingDeletes.add(key)
  }

  /**
   * Content that the shared tier does not keep (large files, folders) takes the local lock
   * alone: waiting for another machine to fetch it would not spare this one the download.
   */
  protected async sharedLock(key: string, signal: AbortSignal | undefined): Promise<CacheLock | null> {
    const notKept = () => this.blobs.isNotKept(key)
    return (await notKept()) ? null : await acquireRedisLock(this.connection, this.keys.lock(key), { ttlMs: this.settings.lockTtlMs, signal, giveUp: notKept })
  }

  getValue<T = unknown>(key: string): Promise<T | null> {
    return this.values.get<T>(key)
  }

  setValue(key: string, value: unknown, options: CacheSetOptions = {}): Promise<void> {
    return this.values.set(key, value, options.ttl)
  }

  deleteValue(key: string): Promise<void> {
    return this.values.delete(key)
  }

  async stats(): Promise<RedisCacheStats> {
    const tiers = await this.tierStats()
    const counts = await this.blobs.counts()
    return { ...tiers, redis: { available: this.connection.available, hits: this.sharedHits, ...counts } }
  }

  /** The local tier only: Redis evicts blobs by its own maxmemory policy, and values expire by their TTL. */
  prune(options: { maxBytes?: number } = {}): Promise<{ removed: number; freedBytes: number }> {
    return this.local.prune(options)
  }

  /**
   * Re-hashes the local tier and the blobs in Redis. A key removed locally loses its Redis copy
   * too: to its caller the cache is one thing, and a key reported removed must not come back
   * on the next get.
   */
  async verify(): Promise<{ checked: number; removed: string[] }> {
    const local = await this.local.verify()
    for (const key of local.removed) {
      if ((await this.blobs.remove(key)) === BYPASS) this.pendingDeletes.add(key)
    }
    const shared = await this.blobs.verify()
    return { checked: local.checked + shared.checked, removed: [...new Set([...local.removed, ...shared.removed])] }
  }

  /** The local tier, and every key under keyPrefix in Redis except held locks (never FLUSHDB: the database may be shared). */
  async clear(): Promise<void> {
    await this.local.clear()
    this.values.forgetPending()
    this.pendingDeletes.clear()
    for await (const batch of this.connection.scan('clearing', this.keys.pattern())) {
      const doomed = batch.filter((redisKey) => !this.keys.isLock(redisKey))
      if (doomed.length > 0 && (await this.connection.attempt('clearing', (client) => client.unlink(doomed))) === BYPASS) return
    }
  }

  protected async closeShared(): Promise<void> {
    await this.connection.close()
  }

  /** Only blobs Redis holds are worth the fill lock. */
  protected override async fromShared(key: string): Promise<string | null> {
    return (await this.blobs.has(key)) ? super.fromShared(key) : null
  }

  protected fetchShared(key: string, destination: string): Promise<{ ttlMs: number | undefined } | null> {
    return this.blobs.materialise(key, destination)
  }
}
