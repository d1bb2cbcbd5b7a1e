import { join } from 'node:path'
import { definePlugin, type Logger, SPECIFICATION_VERSION } from '@assets/core'
import { createS3Client, createS3Storage, normalizePrefix, S3Context } from '@assets/storage-s3'
import { BucketObjects } from './bucket-objects.js'
import { S3Cache } from './s3-cache.js'
import { resolveSettings, type S3CacheContext, type S3CacheOptions, s3CacheOptionsSchema } from './s3-cache-options.js'

export { S3Cache, type S3CacheStats } from './s3-cache.js'
export { DEFAULT_LOCK_TTL_MS, DEFAULT_PREFIX, type S3CacheContext, type S3CacheOptions, s3CacheOptionsSchema } from './s3-cache-options.js'
export { lockFolder } from './s3-lock.js'

/**
 * A bucket as a cache tier shared by many workers, over a local disk tier per worker. Creating
 * it checks the options (a plain http:// endpoint needs `allowInsecureStorage`, as for the S3
 * storage) and connects nothing. `context` supplies the default local folder (`cacheDir`).
 */
export function createS3Cache(options: S3CacheOptions, context: S3CacheContext = {}): S3Cache {
  const settings = resolveSettings(options, context)
  const logger = context.logger ?? consoleLogger
  const env = { allowInsecureStorage: context.allowInsecureStorage, logger }
  const { path: _path, maxBytes: _max, sharedMaxBytes: _shared, sharedMaxAgeHours: _age, lockTtlMs: _ttl, ...s3 } = options
  // Content moves through the S3 storage itself, rooted at the cache's prefix.
  const storage = createS3Storage({ ...s3, prefix: settings.prefix, journalDir: settings.journalDir }, env)
  const prefix = normalizePrefix(settings.prefix)
  const ctx = new S3Context(createS3Client({ ...s3, prefix }, env), {
    bucket: options.bucket,
    prefix,
    partSize: 0,
    concurrency: 1,
    rangeSize: 0,
    rangeConcurrency: 1,
    maxAttempts: options.maxAttempts ?? 5,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
    journalDir: join(settings.journalDir, 'unused'),
    warn: (message) => logger.warn(message),
  })
  return new S3Cache(settings, storage, new BucketObjects(ctx, prefix), logger)
}

export default definePlugin({
  kind: 'cache',
  name: 's3',
  specificationVersion: SPECIFICATION_VERSION,
  options: s3CacheOptionsSchema,
  create: (options, context) => createS3Cache(options, context),
})

const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
  info: (message) => console.info(message),
}
