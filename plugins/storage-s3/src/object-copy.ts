import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { UnsupportedOperationError } from '@assets/core'
import type { S3Context } from './s3-context.js'
import { describeTarget, type S3Target } from './s3-location.js'

/** One CopyObject copies at most 5 GiB; larger objects need UploadPartCopy. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3

/**
 * Copies `source` to `target` with one CopyObject: the gateway moves the bytes, and the new
 * object appears whole or not at all. Metadata is copied (MetadataDirective COPY), so the
 * sha256 the plugin records with an object stays with it.
 */
export async function copyObject(ctx: S3Context, source: S3Target, target: S3Target, size: number, signal?: AbortSignal): Promise<void> {
  if (size > MAX_SINGLE_COPY_BYTES) {
    throw new UnsupportedOperationError(`s3: cannot copy ${describeTarget(source)} (${size} bytes): one CopyObject copies at most 5 GiB`)
  }
  // The copy source is a URL path: each key segment encoded, `/` kept.
  const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`
  await ctx.call(
    `copying ${describeTarget(source)} to ${describeTarget(target)}`,
    () => ctx.client.send(new CopyObjectCommand({ Bucket: target.bucket, Key: target.key, CopySource: copySource, MetadataDirective: 'COPY' }), { abortSignal: signal }),
    signal,
  )
}
