import { resolve } from 'node:path'
import { localTierOptions, resolveLocalTierPath, type TieredCacheContext } from '@assets/cache-local'
import { ConfigInvalidError, type Static, schemaProblems, Type, Value } from '@assets/core'
import { s3StorageOptionsSchema } from '@assets/storage-s3'

export const DEFAULT_PREFIX = 'assets-cache/'
export const DEFAULT_LOCK_TTL_MS = 30_000

// The connection and transfer options of the S3 storage, with their meaning and checks: one
// set of names for a bucket, whether it holds the store or the cache.
const s3 = s3StorageOptionsSchema.properties
const SHARED_S3_OPTIONS = {
  bucket: s3.bucket,
  region: s3.region,
  endpoint: s3.endpoint,
  useSsl: s3.useSsl,
  accessKeyId: s3.accessKeyId,
  secretAccessKey: s3.secretAccessKey,
  sessionToken: s3.sessionToken,
  forcePathStyle: s3.forcePathStyle,
  checksum: s3.checksum,
  partSize: s3.partSize,
  concurrency: s3.concurrency,
  rangeSize: s3.rangeSize,
  rangeConcurrency: s3.rangeConcurrency,
  requestTimeoutMs: s3.requestTimeoutMs,
  maxAttempts: s3.maxAttempts,
  retryBaseDelayMs: s3.retryBaseDelayMs,
}

export const s3CacheOptionsSchema = Type.Object(
  {
    ...SHARED_S3_OPTIONS,
    prefix: Type.Optional(
      Type.String({
        description: `Key prefix of everything the cache writes (CACHE_S3_PREFIX); default ${DEFAULT_PREFIX}. Never the store's own prefix: pruning deletes what lies under it.`,
      }),
    ),
    path: localTierOptions.path,
    maxBytes: localTierOptions.maxBytes,
    sharedMaxBytes: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Bytes of content the bucket tier keeps; `cache prune` deletes the oldest beyond it. Default: no limit.' }),
    ),
    sharedMaxAgeHours: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: '`cache prune` deletes content put in the bucket tier longer ago than this. Default: no limit.' }),
    ),
    lockTtlMs: Type.Optional(
      Type.Integer({ minimum: 1000, default: DEFAULT_LOCK_TTL_MS, description: 'A lock whose heartbeat has not changed for this long is taken over (its holder died).' }),
    ),
    journalDir: Type.Optional(Type.String({ minLength: 1, description: 'Folder of the S3 download journals; default <path>/s3-journals.' })),
  },
  { description: 'Options of @assets/cache-s3' },
)

export type S3CacheOptions = Static<typeof s3CacheOptionsSchema>

/** What the cache needs besides its options; the plugin passes its context, a direct caller may omit it. */
export interface S3CacheContext extends TieredCacheContext {
  /** ALLOW_INSECURE_STORAGE=true: plain http:// endpoints are allowed. */
  allowInsecureStorage?: boolean
}

export interface S3CacheSettings {
  options: S3CacheOptions
  path: string
  prefix: string
  lockTtlMs: number
  sharedMaxBytes: number | undefined
  sharedMaxAgeMs: number | undefined
  maxBytes: number | undefined
  journalDir: string
}

/** Checks the options (a direct caller has not been through the plugin loader) and fills in the defaults. */
export function resolveSettings(options: S3CacheOptions, context: S3CacheContext): S3CacheSettings {
  if (!Value.Check(s3CacheOptionsSchema, options)) {
    throw new ConfigInvalidError(schemaProblems(s3CacheOptionsSchema, options, 'cache'))
  }
  const path = resolveLocalTierPath(options.path, context)
  const prefix = options.prefix ?? DEFAULT_PREFIX
  return {
    options,
    path,
    prefix,
    lockTtlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
    sharedMaxBytes: options.sharedMaxBytes,
    sharedMaxAgeMs: options.sharedMaxAgeHours === undefined ? undefined : options.sharedMaxAgeHours * 3_600_000,
    maxBytes: options.maxBytes,
    journalDir: options.journalDir ?? resolve(path, 's3-journals'),
  }
}
