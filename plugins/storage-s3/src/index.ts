import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type S3StorageEnvironment, type S3StorageOptions, s3StorageOptionsSchema } from './s3-options.js'
import { S3Storage } from './s3-storage.js'

export { S3_STORAGE_CAPABILITIES, S3Storage } from './s3-storage.js'
export type { TransferStats } from './s3-context.js'
export type { StaleUpload } from './stale-uploads.js'
export { type S3StorageEnvironment, type S3StorageOptions, s3StorageOptionsSchema } from './s3-options.js'

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
