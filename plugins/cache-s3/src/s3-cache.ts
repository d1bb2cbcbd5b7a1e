import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createLocalCache, TieredCache } from '@assets/cache-local'
import { BackendUnavailableError, type CacheLock, type CacheSetOptions, type CacheStats, isContentDigest, type Logger } from '@assets/core'
import type { S3Storage } from '@assets/storage-s3'
import type { BucketObjects } from './bucket-objects.js'
import type { S3CacheSettings } from './s3-cache-options.js'
import { acquireS3Lock } from './s3-lock.js'
import { pruneShared } from './shared-prune.js'
import { SharedBlobs } from './shared-blobs.js'
import { SharedValues } from './shared-values.js'

export interface S3CacheStats extends CacheStats {
  s3: {
    /** Gets answered by copying a blob from the bucket into the local tier (included in `hits`). */
    hits: number
    /** Content files this worker put into the bucket. */
    shared: number
  }
}

/**
 * A bucket (or a prefix of one) as a tier shared by many workers, in front of each worker's
 * local disk tier, which hands out every path. The bucket holds content files by digest (so
 * they never go stale), small JSON values, and the locks that make one worker fetch a blob
 * from a slow source while the others wait for it to appear in the bucket.
 */
export class S3Cache extends TieredCache {
  readonly name = 's3'
  private readonly blobs: SharedBlobs
  private readonly values: SharedValues
  private shared = 0
  private lastWarning = Number.NEGATIVE_INFINITY

  constructor(
    private readonly settings: S3CacheSettings,
    private readonly storage: S3Storage,
    private readonly objects: BucketObjects,
    private readonly logger: Logger,
  ) {
    super(createLocalCache({ path: settings.path, maxBytes: settings.maxBytes }))
    this.blobs = new SharedBlobs(storage, objects, logger)
    this.values = new SharedValues(objects)
  }

  async has(key: string): Promise<boolean> {
    return (await this.local.has(key)) || (await this.bucketOr('looking up a blob', false, () => this.blobs.has(key)))
  }

  /**
   * The local tier takes the entry, then a content file goes to the bucket before this returns:
   * the manager calls set under the key's lock, so workers waiting on it find the blob there.
   * A failed upload costs the others a fetch, never this worker its entry.
   */
  async set(key: string, path: string, options: CacheSetOptions = {}): Promise<string> {
    const entry = await this.local.set(key, path, options)
    if (isContentDigest(key) && options.ttl === undefined) {
      try {
        await this.blobs.share(key, entry)
        this.shared += 1
      } catch (error) {
        this.logger.warn(`s3 cache: could not put ${key} in the bucket (${String(error)}); other workers will fetch it from storage`)
      }
    }
    return entry
  }

  async delete(key: string): Promise<void> {
    await this.local.delete(key)
    await this.bucketOr('deleting a blob', undefined, () => this.blobs.remove(key))
  }

  /**
   * Keys the bucket does not keep (folders, look-ups) take the local lock alone: waiting for
   * another machine would not spare this one the download. Nor does a key whose blob the bucket
   * already holds: a waiter stops waiting as soon as it appears, and the caller's next get()
   * reads it from there.
   */
  protected async sharedLock(key: string, signal: AbortSignal | undefined): Promise<CacheLock | null> {
    if (!isContentDigest(key)) return null
    // Once the blob is in the bucket, waiting gains nothing: every machine may read it at
    // once, instead of one after the other under the lock.
    const giveUp = () => this.blobs.has(key)
    const lockOptions = { ttlMs: this.settings.lockTtlMs, signal, logger: this.logger, giveUp }
    return this.bucketOr('taking a lock', null, () => acquireS3Lock(this.objects, key, lockOptions), signal)
  }

  // Without the bucket, values live in the local tier: a look-up then stays fresh for its TTL on
  // this worker only, as with the local cache alone.
  getValue<T = unknown>(key: string): Promise<T | null> {
    return this.bucketOr('reading a value', undefined, () => this.values.get<T>(key)).then((found) => (found === undefined ? this.local.getValue<T>(key) : found))
  }

  async setValue(key: string, value: unknown, options: CacheSetOptions = {}): Promise<void> {
    if ((await this.bucketOr('writing a value', false, () => this.values.set(key, value, options.ttl).then(() => true))) === false) {
      await this.local.setValue(key, value, options)
    }
  }

  async deleteValue(key: string): Promise<void> {
    await this.local.deleteValue(key)
    await this.bucketOr('deleting a value', undefined, () => this.values.delete(key))
  }

  async stats(): Promise<S3CacheStats> {
    return { ...(await this.tierStats()), s3: { hits: this.sharedHits, shared: this.shared } }
  }

  /**
   * The local tier down to `maxBytes`; the bucket down to its own budget (sharedMaxBytes, oldest
   * first) and age (sharedMaxAgeHours), and its expired values. `assets cache prune` calls this.
   */
  async prune(options: { maxBytes?: number } = {}): Promise<{ removed: number; freedBytes: number }> {
    const local = await this.local.prune(options)
    const shared = await pruneShared(this.blobs, this.values, this.objects, {
      maxBytes: this.settings.sharedMaxBytes,
      maxAgeMs: this.settings.sharedMaxAgeMs,
    })
    return { removed: local.removed + shared.removed, freedBytes: local.freedBytes + shared.freedBytes }
  }

  /**
   * Re-hashes the local tier; a key removed there loses its bucket copy too, so that it does not
   * come back on the next get. The bucket's copies are hashed whenever they are read instead of
   * here: re-reading a whole shared bucket from every worker would cost more than it finds.
   */
  async verify(): Promise<{ checked: number; removed: string[] }> {
    const local = await this.local.verify()
    for (const key of local.removed) await this.blobs.remove(key)
    return local
  }

  /** The local tier, and every blob and value under the prefix; held locks are left alone. */
  async clear(): Promise<void> {
    await this.local.clear()
    for (const under of ['blobs/', 'values/']) {
      const names: string[] = []
      for await (const object of this.objects.list(under)) names.push(object.name)
      await this.objects.delete(names)
    }
  }

  protected async closeShared(): Promise<void> {
    await this.storage.close()
    this.objects.close()
  }

  /**
   * The bucket speeds things up but is never required: when it cannot be reached (after the S3
   * client's retries), the local tier answers, with a warning at most once a minute.
   */
  private async bucketOr<T, F>(what: string, fallback: F, action: () => Promise<T>, signal?: AbortSignal): Promise<T | F> {
    try {
      return await action()
    } catch (error) {
      if (signal?.aborted || (error as { name?: string }).name === 'AbortError' || !BackendUnavailableError.isInstance(error)) throw error
      const now = performance.now()
      if (now - this.lastWarning >= WARN_EVERY_MS) {
        this.lastWarning = now
        this.logger.warn(`s3 cache: the bucket is unavailable (${what}: ${error.message}); using the local tier alone`)
      }
      return fallback
    }
  }

  /** A path of the blob's own that a later attempt resumes (the download is ranged), never the key's staging path. */
  protected override async fillPath(key: string): Promise<string> {
    const building = `${this.local.stagingPath(key)}.from-s3`
    await mkdir(dirname(building), { recursive: true })
    return building
  }

  protected async fetchShared(key: string, destination: string): Promise<{ ttlMs?: undefined } | null> {
    return (await this.bucketOr('reading a blob', false, () => this.blobs.fetch(key, destination))) ? {} : null
  }
}

const WARN_EVERY_MS = 60_000
