import { createHash } from 'node:crypto'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { type ExternalObject, IntegrityError, NotFoundError, toContentDigest } from '@assets/core'
import { readWindow } from './ranged-read.js'
import type { S3Context } from './s3-context.js'
import { describeTarget, type S3Target } from './s3-location.js'

/**
 * Describes an object someone else wrote (`s3://bucket/datasets/x.h5ad`): its size, ETag and
 * version id, and the sha256 of its bytes from one streamed read pinned to that ETag (a write
 * during the read fails it rather than mixing two versions). An object inside this store's
 * own prefix is given back as a store location, so gc sees it as referenced.
 */
export async function describeExternalObject(ctx: S3Context, target: S3Target, prefix: string, bucket: string, signal?: AbortSignal): Promise<ExternalObject> {
  const head = await ctx
    .retrying(() => ctx.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal: signal }), signal)
    .catch((error: unknown) => {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        throw new NotFoundError(`s3: ${describeTarget(target)} does not exist`, { cause: error })
      }
      throw error
    })
  if (head.ContentLength === undefined) throw new IntegrityError(`s3: ${describeTarget(target)} has no Content-Length; it cannot be registered`)
  const size = head.ContentLength
  const hash = createHash('sha256')
  let read = 0
  if (size > 0) {
    for await (const chunk of readWindow(ctx, target, { start: 0, end: size, etag: head.ETag, versionId: head.VersionId }, signal)) {
      hash.update(chunk)
      read += chunk.length
    }
  }
  // A body cut short without an error must not register the digest of a truncated object.
  if (read !== size) throw new IntegrityError(`s3: read ${read} bytes of ${describeTarget(target)}, which is ${size} bytes long`)
  const inStore = target.bucket === bucket && target.key.startsWith(prefix) && target.key.length > prefix.length
  return {
    location: inStore ? target.key.slice(prefix.length) : `s3://${target.bucket}/${target.key}`,
    size: read,
    digest: toContentDigest(hash),
    etag: head.ETag,
    versionId: head.VersionId,
    lastModified: head.LastModified,
  }
}
