import { createLocalCache, TieredCache } from '@assets/cache-local'
import type { CacheLock, CacheSetOptions, CacheStats, Logger } from '@assets/core'
import { BlobTier } from './blob-tier.js'
import { ttlToMs } from './item-format.js'
import type { MemcachedCacheSettings } from './memcached-cache-options.js'
import { BYPASS, MemcachedConnection } from './memcached-connection.js'
import { isContentKey, MemcachedKeys } from './memcached-keys.js'
import { acquireMemcachedLock } from './memcached-lock.js'
import { Namespace } from './namespace.js'
import { SharedValues } from './shared-values.js'

export interface MemcachedCacheStats extends CacheStats {
  memcached: {
    /** Whether operations go to memcached right now (false: the local tier answers alone). */
    available: boolean
    /** Gets answered by copying a blob from memcached into the local tier (included in `hits`). */
    hits: number
  }
}

/**
 * A shared tier for many workers: each keeps a local disk tier (which hands out every path), and
 * memcached holds the mutable look-ups, small content blobs and cross-machine locks. Memcached is
 * an accelerator, never a dependency: without it every operation is answered by the local tier.
 */
export class MemcachedCache extends TieredCache {
  readonly name = 'memcached'
  private readonly connection: MemcachedConnection
  private readonly keys: MemcachedKeys
  private readonly namespace: Namespace
  private readonly blobs: BlobTier
  private readonly values: SharedValues
  // Content deleted while memcached was away; its shared copy goes when memcached comes back.
  private readonly pendingDeletes = new Set<string>()

  constructor(
    private readonly settings: MemcachedCacheSettings,
    logger: Logger,
  ) {
    super(createLocalCache({ path: settings.path, maxBytes: settings.maxBytes }))
    this.connection = new MemcachedConnection({
      servers: settings.servers,
      where: settings.where,
      username: settings.username,
      password: settings.password,
      localPath: settings.path,
      connectTimeoutMs: settings.connectTimeoutMs,
      commandTimeoutMs: settings.commandTimeoutMs,
      retryIntervalMs: settings.retryIntervalMs,
      logger,
    })
    this.keys = new MemcachedKeys(settings.keyPrefix)
    this.namespace = new Namespace(this.keys)
    this.blobs = new BlobTier(this.connection, this.keys, this.namespace, { maxBlobBytes: settings.maxBlobBytes, logger })
    this.values = new SharedValues(this.connection, this.keys, this.namespace, this.local)
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
   * Content memcached does not keep (large files, folders: a marker says so) and machine-local
   * keys take the local lock alone: waiting for another machine would not spare this one the work.
   */
  protected async sharedLock(key: string, signal: AbortSignal | undefined): Promise<CacheLock | null> {
    const notKept = () => this.blobs.isNotKept(key)
    if (!isContentKey(key) || (await notKept())) return null
    return acquireMemcachedLock(this.connection, this.keys.lock(key), { ttlMs: this.settings.lockTtlMs, signal, giveUp: notKept })
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

  async stats(): Promise<MemcachedCacheStats> {
    return { ...(await this.tierStats()), memcached: { available: this.connection.available, hits: this.sharedHits } }
  }

  /** The local tier only: memcached evicts by its own LRU, and values expire by their TTL. */
  prune(options: { maxBytes?: number } = {}): Promise<{ removed: number; freedBytes: number }> {
    return this.local.prune(options)
  }

  /**
   * Re-hashes the local tier. Memcached cannot list its items, so its blobs are not walked; each
   * is re-hashed whenever it is read instead. A key removed locally loses its shared copy too:
   * a key reported removed must not come back on the next get.
   */
  async verify(): Promise<{ checked: number; removed: string[] }> {
    const local = await this.local.verify()
    for (const key of local.removed) {
      if ((await this.blobs.remove(key)) === BYPASS) this.pendingDeletes.add(key)
    }
    return local
  }

  /** The local tier, and everything this cache wrote to memcached (by a new namespace token), except held locks. Never flush_all: the servers may be shared. */
  async clear(): Promise<void> {
    await this.local.clear()
    this.values.forgetPending()
    this.pendingDeletes.clear()
    await this.connection.attempt('clearing', (client) => this.namespace.renew(client))
  }

  protected async closeShared(): Promise<void> {
    await this.connection.close()
  }

  protected fetchShared(key: string, destination: string): Promise<{ ttlMs: number | undefined } | null> {
    return this.blobs.materialise(key, destination)
  }
}
