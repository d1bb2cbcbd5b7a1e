import { type Static, Type } from '@assets/core'

/**
 * Options of @assets/storage-s3. The first seven fields are what core's config fills from the
 * seed's variables (S3_BUCKET … AWS_SECRET_ACCESS_KEY); the rest are set in the config file.
 */
export const s3StorageOptionsSchema = Type.Object(
  {
    bucket: Type.String({ minLength: 3, maxLength: 63, description: 'Bucket that holds the store (S3_BUCKET).' }),
    prefix: Type.Optional(Type.String({ description: 'Key prefix under which every object lives (S3_PREFIX); default none.' })),
    region: Type.Optional(Type.String({ minLength: 1, description: 'Region (S3_REGION); default the SDK chain, else us-east-1.' })),
    endpoint: Type.Optional(Type.String({ minLength: 1, description: 'Any S3-compatible endpoint URL (S3_ENDPOINT_URL); default AWS.' })),
    useSsl: Type.Optional(
      Type.Boolean({ description: 'S3_USE_SSL: false turns an endpoint given without a scheme into http:// (still needs ALLOW_INSECURE_STORAGE).' }),
    ),
    accessKeyId: Type.Optional(Type.String({ minLength: 1, description: 'AWS_ACCESS_KEY_ID; default the SDK credential chain.' })),
    secretAccessKey: Type.Optional(Type.String({ minLength: 1, description: 'AWS_SECRET_ACCESS_KEY.' })),
    sessionToken: Type.Optional(Type.String({ minLength: 1, description: 'AWS_SESSION_TOKEN for temporary credentials.' })),
    forcePathStyle: Type.Optional(Type.Boolean({ description: 'Path-style URLs (endpoint/bucket/key); default true with a custom endpoint.' })),
    anonymous: Type.Optional(Type.Boolean({ description: 'Unsigned requests, for public buckets; default false.' })),
    followRegionRedirects: Type.Optional(
      Type.Boolean({ description: "On AWS, follow a 301 to the bucket's own region (x-amz-bucket-region), for buckets of unknown region; default false." }),
    ),
    partSize: Type.Optional(
      Type.Integer({ minimum: 5 * 1024 * 1024, maximum: 5 * 1024 ** 3, description: 'Bytes per multipart upload part; default 8 MiB.' }),
    ),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Upload parts in flight at once (each held in memory); default 4.' })),
    uploadMemoryBytes: Type.Optional(
      Type.Integer({
        minimum: 5 * 1024 * 1024,
        description:
          'Bytes of part buffers that all uploads of this storage hold together, shared first come first served; at least partSize. Default 2 × concurrency × partSize (64 MiB).',
      }),
    ),
    rangeSize: Type.Optional(
      Type.Integer({ minimum: 1024 * 1024, maximum: 5 * 1024 ** 3, description: 'Bytes per ranged GET of a download; default 16 MiB.' }),
    ),
    rangeConcurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 64, description: 'Ranged GETs in flight per download (streamed to the file, not held); default 8.' }),
    ),
    folderConcurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 256, description: "Objects of a folder moved at once by core's folder put and get (small objects: a request each); default 32." }),
    ),
    blindWriteBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 5 * 1024 ** 2,
        description:
          'A blob up to this size is PUT without a HEAD first (one request instead of two: a folder of small files uploads about twice as fast; a blob stored already is written again, which a versioned bucket keeps as a new version of it). 0 always asks first. Default 65536.',
      }),
    ),
    requestTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 100, description: 'A request whose connection is idle this long is dropped and retried; default 60000.' }),
    ),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Tries per request, the first included; default 5.' })),
    retryBaseDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'First retry delay (doubles, with full jitter); default 200.' })),
    checksum: Type.Optional(
      Type.Union([Type.Literal('when_supported'), Type.Literal('when_required')], {
        description: 'SDK flexible checksums: when_supported (SDK default) or when_required (for servers that refuse them); default when_supported.',
      }),
    ),
    presignedPayloadCheck: Type.Optional(
      Type.Boolean({
        description:
          'The server refuses a presigned PUT whose body does not match its signed x-amz-content-sha256 (AWS S3 and Ceph RGW do); false makes presigned PUTs say verified: false, so the caller hashes what arrives. Default true.',
      }),
    ),
    referenceBuckets: Type.Optional(
      Type.Array(Type.String({ minLength: 3, maxLength: 63 }), {
        description:
          'Buckets whose objects may be registered by reference; default only the store\'s own bucket. The service credentials may read more than a user should.',
      }),
    ),
    journalDir: Type.Optional(
      Type.String({ minLength: 1, description: 'Folder of the upload and download journals (what a crashed transfer resumes from); default <cacheDir>/s3-journals.' }),
    ),
  },
  { description: 'Options of @assets/storage-s3' },
)

export type S3StorageOptions = Static<typeof s3StorageOptionsSchema>

/** What `create` adds from the plugin context; all optional for direct use of createS3Storage. */
export interface S3StorageEnvironment {
  /** ALLOW_INSECURE_STORAGE=true: plain http:// endpoints are allowed. */
  allowInsecureStorage?: boolean
  cacheDir?: string
  logger?: { warn(message: string): void }
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024
export const DEFAULT_CONCURRENCY = 4
export const DEFAULT_RANGE_SIZE = 16 * 1024 * 1024
export const DEFAULT_RANGE_CONCURRENCY = 8
export const DEFAULT_FOLDER_CONCURRENCY = 32
/** Blobs up to this size are written without asking first (StorageCapabilities.writeWithoutAskingBelow). */
export const DEFAULT_BLIND_WRITE_BYTES = 64 * 1024
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
export const DEFAULT_MAX_ATTEMPTS = 5
