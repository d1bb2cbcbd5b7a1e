import { rm } from 'node:fs/promises'
import { createLocalCache, type LocalCache } from '@assets/cache-local'
import {
  type Cache,
  type CacheEntryInfo,
  type CacheLock,
  type CacheSetOptions,
  type CacheStats,
  isContentDigest,
  type Logger,
  temporaryPathFor,
} from '@assets/core'
import { BlobTier, type SharedCounts } from './blob-tier.js'
import type { RedisCacheSettings } from './redis-cache-options.js'
import { BYPASS, RedisConnection } from './redis-connection.js'
import { RedisKeys } from './redis-keys.js'
import { acquireRedisLock, type RedisLock } from './redis-lock.js'
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
export class RedisCache implements Cache {
  readonly name = 'redis'
  /** The local disk tier: where every path handed out lives. */
  readonly local: LocalCache
  private readonly connection: RedisConnection
  private readonly keys: RedisKeys
  private readonly blobs: BlobTier
  private readonly values: SharedValues
  private readonly held = new Set<CacheLock>()
  // Content deleted while Redis was away; its shared copy goes when Redis comes back.
  private readonly pendingDeletes = new Set<string>()
  private hits = 0
  private misses = 0
  private redisHits = 0

  constructor(
    private readonly settings: RedisCacheSettings,
    logger: Logger,
  ) {
    this.local = createLocalCache({ path: settings.path, maxBytes: settings.maxBytes })
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

  async get(key: string): Promise<string | null> {
    const path = (await this.local.get(key)) ?? (await this.fromRedis(key))
    if (path === null) {
      this.misses += 1
      return null
    }
    this.hits += 1
    return path
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

  stagingPath(key: string): string {
    return this.local.stagingPath(key)
  }

  /**
   * The local lock first (one process per machine), then the Redis lock (one machine at a
   * time), always in that order so that two holders never wait on each other. Content that
   * the shared tier does not keep (large files, folders) takes the local lock alone: waiting
   * for another machine to fetch it would not spare this one the download.
   */
  async lock(key: string, options: { signal?: AbortSignal } = {}): Promise<CacheLock> {
    const local = await this.local.lock(key, options)
    let shared: RedisLock | null
    try {
      const notKept = () => this.blobs.isNotKept(key)
      shared = (await notKept())
        ? null
        : await acquireRedisLock(this.connection, this.keys.lock(key), { ttlMs: this.settings.lockTtlMs, signal: options.signal, giveUp: notKept })
    } catch (error) {
      await local.release()
      throw error
    }
    const lock = new TieredLock(local, shared, (released) => this.held.delete(released))
    this.held.add(lock)
    return lock
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

  /** The local tier's entries: only they have paths on this machine. */
  list(): AsyncIterable<CacheEntryInfo> {
    return this.local.list()
  }

  async stats(): Promise<RedisCacheStats> {
    const local = await this.local.stats()
    const counts = await this.blobs.counts()
    return {
      entries: local.entries,
      bytes: local.bytes,
      maxBytes: local.maxBytes,
      hits: this.hits,
      misses: this.misses,
      redis: { available: this.connection.available, hits: this.redisHits, ...counts },
    }
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

  async close(): Promise<void> {
    await Promise.all([...this.held].map((lock) => lock.release()))
    await this.connection.close()
    await this.local.close()
  }

  /**
   * Copies a blob from Redis into the local tier. One process per machine does it, under a lock
   * of its own (not the key's lock, which the manager may already hold while asking), and it
   * is built at a private path, never at the key's staging path where a download may be resuming.
   */
  private async fromRedis(key: string): Promise<string | null> {
    if (!isContentDigest(key) || !(await this.blobs.has(key))) return null
    const lock = await this.local.lock(`redis-fill:${key}`)
    try {
      const filled = await this.local.get(key)
      if (filled !== null) return filled
      const building = temporaryPathFor(this.local.stagingPath(key))
      const blob = await this.blobs.materialise(key, building)
      if (blob === null) return null
      try {
        const path = await this.local.set(key, building, { ttl: blob.ttlMs === undefined ? undefined : blob.ttlMs / 1000 })
        this.redisHits += 1
        return path
      } catch (error) {
        await rm(building, { force: true })
        throw error
      }
    } finally {
      await lock.release()
    }
  }
}

/** Both locks of a key; released shared first, so other machines proceed as early as possible. */
class TieredLock implements CacheLock {
  private released = false

  constructor(
    private readonly local: CacheLock,
    private readonly shared: RedisLock | null,
    private readonly onRelease: (lock: TieredLock) => void,
  ) {}

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    this.onRelease(this)
    try {
      await this.shared?.release()
    } finally {
      await this.local.release()
    }
  }
}
