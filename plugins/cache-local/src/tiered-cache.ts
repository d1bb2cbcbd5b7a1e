import { rm } from 'node:fs/promises'
import {
  type Cache,
  type CacheEntryInfo,
  type CacheLock,
  type CacheSetOptions,
  type CacheStats,
  isContentDigest,
  temporaryPathFor,
} from '@assets/core'
import type { LocalCache } from './local-cache.js'
import { TieredLock } from './tiered-lock.js'

/**
 * What the cache plugins with a shared tier (Redis, memcached, a bucket …) have in common: a
 * local disk tier that hands out every path, in front of a tier other machines see too. This
 * class owns the local side — paths, the order of the two locks, filling the local tier from
 * the shared one, hit counts — and leaves to each plugin what its shared tier does differently
 * (what it keeps, how it fails, how it is cleared, pruned and verified).
 */
export abstract class TieredCache implements Cache {
  abstract readonly name: string
  /** The local disk tier: where every path handed out lives. */
  readonly local: LocalCache
  /** Gets answered by copying a blob from the shared tier into the local tier (included in `hits`). */
  protected sharedHits = 0
  private readonly held = new Set<CacheLock>()
  private hits = 0
  private misses = 0

  constructor(local: LocalCache) {
    this.local = local
  }

  /** As the local tier, which holds every entry handed out. */
  get acceptsHardlinks(): boolean {
    return this.local.acceptsHardlinks
  }

  /** As the local tier, whose set() seals the files. */
  get sealedFileMode(): number {
    return this.local.sealedFileMode
  }

  async get(key: string): Promise<string | null> {
    const path = (await this.local.get(key)) ?? (isContentDigest(key) ? await this.fromShared(key) : null)
    if (path === null) {
      this.misses += 1
      return null
    }
    this.hits += 1
    return path
  }

  stagingPath(key: string): string {
    return this.local.stagingPath(key)
  }

  /**
   * The local lock first (one process per machine), then the shared one (one machine at a
   * time), always in that order so that two holders never wait on each other. Which keys take
   * a shared lock at all is the plugin's to say (`sharedLock` returns null for the others).
   */
  async lock(key: string, options: { signal?: AbortSignal } = {}): Promise<CacheLock> {
    const local = await this.local.lock(key, options)
    let shared: CacheLock | null
    try {
      shared = await this.sharedLock(key, options.signal)
    } catch (error) {
      await local.release()
      throw error
    }
    const lock = new TieredLock(local, shared, (released) => this.held.delete(released))
    this.held.add(lock)
    return lock
  }

  /** The local tier's entries: only they have paths on this machine. */
  list(): AsyncIterable<CacheEntryInfo> {
    return this.local.list()
  }

  async close(): Promise<void> {
    await Promise.all([...this.held].map((lock) => lock.release()))
    await this.closeShared()
    await this.local.close()
  }

  abstract has(key: string): Promise<boolean>
  abstract set(key: string, path: string, options?: CacheSetOptions): Promise<string>
  abstract delete(key: string): Promise<void>
  abstract getValue<T = unknown>(key: string): Promise<T | null>
  abstract setValue(key: string, value: unknown, options?: CacheSetOptions): Promise<void>
  abstract deleteValue(key: string): Promise<void>
  abstract stats(): Promise<CacheStats>
  abstract prune(options?: { maxBytes?: number }): Promise<{ removed: number; freedBytes: number }>
  abstract verify(): Promise<{ checked: number; removed: string[] }>
  abstract clear(): Promise<void>

  /** The shared tier's lock of `key` (taken while the local one is held), or null to rely on the local lock alone. */
  protected abstract sharedLock(key: string, signal: AbortSignal | undefined): Promise<CacheLock | null>

  /** Copies the shared blob of `key` to `destination`; null when the shared tier does not have it (or cannot be reached). */
  protected abstract fetchShared(key: string, destination: string): Promise<{ ttlMs?: number | undefined } | null>

  /** Closes the shared tier's connections once every held lock is released. */
  protected abstract closeShared(): Promise<void>

  /** The counts of the contract's stats, from the local tier and this cache's gets. */
  protected async tierStats(): Promise<CacheStats> {
    const local = await this.local.stats()
    return { entries: local.entries, bytes: local.bytes, maxBytes: local.maxBytes, hits: this.hits, misses: this.misses }
  }

  /** Where a blob from the shared tier is built before it moves into the local tier. */
  protected async fillPath(key: string): Promise<string> {
    return temporaryPathFor(this.local.stagingPath(key))
  }

  /**
   * Copies a blob from the shared tier into the local tier. One process per machine does it,
   * under a lock of its own (not the key's lock, which the manager may already hold while
   * asking), and it is built at a private path, never at the key's staging path where a
   * download may be resuming.
   */
  protected async fromShared(key: string): Promise<string | null> {
    const lock = await this.local.lock(`${this.name}-fill:${key}`)
    try {
      const filled = await this.local.get(key)
      if (filled !== null) return filled
      const building = await this.fillPath(key)
      const blob = await this.fetchShared(key, building)
      if (blob === null) return null
      try {
        const path = await this.local.set(key, building, { ttl: blob.ttlMs === undefined ? undefined : blob.ttlMs / 1000 })
        this.sharedHits += 1
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
