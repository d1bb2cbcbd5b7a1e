import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type S3StorageEnvironment, type S3StorageOptions, s3StorageOptionsSchema } from './s3-options.js'
import { S3Storage } from './s3-storage.js'

export { S3_STORAGE_CAPABILITIES, S3Storage } from './s3-storage.js'
export type { TransferStats } from './s3-context.js'
export type { StaleUpload } from './stale-uploads.js'
export type { UploadMemoryStats } from './upload-memory.js'
export { type S3StorageEnvironment, type S3StorageOptions, s3StorageOptionsSchema } from './s3-options.js'
// For packages built on the same client and retry policy (the S3 cache tier), so that they do not copy it.
export { createS3Client, resolveEndpoint } from './s3-client.js'
export { S3Context, type S3Settings } from './s3-context.js'
export { isNotFound, statusOf, toAssetError } from './s3-errors.js'
export { normalizePrefix } from './s3-location.js'

/**
 * A store in an S3 bucket or any S3-compatible server. Creating it checks the options (a plain
 * http:// endpoint needs `allowInsecureStorage`) and connects nothing.
 */
export function createS3Storage(options: S3StorageOptions, env: S3StorageEnvironment = {}): S3Storage {
  return new S3Storage(options, env)
}

export default definePlugin({
  kind: 'storage',
  name: 's3',
  specificationVersion: SPECIFICATION_VERSION,
  options: s3StorageOptionsSchema,
  create: (options, context) =>
    createS3Storage(options, { allowInsecureStorage: context.allowInsecureStorage, cacheDir: context.cacheDir, logger: context.logger }),
})
