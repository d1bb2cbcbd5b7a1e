import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3'
import type { S3Context } from './s3-context.js'
import { isNotFound } from './s3-errors.js'
import { locationOfKey } from './s3-location.js'

export interface StaleUpload {
  location: string
  uploadId: string
  initiated?: Date
}

// Only where the manager writes (content and staging objects): a bucket shared with other
// applications keeps their uploads, whatever gc decides about ours.
const MANAGED_FOLDERS = ['blobs/', 'staging/']

/**
 * Aborts the store's multipart uploads that have been idle since before `olderThan`: those of
 * crashed or abandoned puts, whose parts the server keeps (and bills) until then. Idle, not
 * old: an upload of hundreds of GB that started long ago but sent a part recently is alive.
 */
export async function abortStaleUploads(ctx: S3Context, olderThan: Date): Promise<StaleUpload[]> {
  const aborted: StaleUpload[] = []
  for (const folder of MANAGED_FOLDERS) aborted.push(...(await abortIdleUploadsUnder(ctx, `${ctx.settings.prefix}${folder}`, olderThan)))
  return aborted
}

async function abortIdleUploadsUnder(ctx: S3Context, keyPrefix: string, olderThan: Date): Promise<StaleUpload[]> {
  const { bucket, prefix } = ctx.settings
  const aborted: StaleUpload[] = []
  let keyMarker: string | undefined
  let uploadIdMarker: string | undefined
  do {
    const page = await ctx.retrying(() =>
      ctx.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: keyPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
    )
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() >= olderThan.getTime()) continue
      const { Key, UploadId } = upload
      if ((await lastActivity(ctx, Key, UploadId)) >= olderThan.getTime()) continue
      await ctx.retrying(() => ctx.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }))).catch((error: unknown) => {
        if (!isNotFound(error)) throw error
      })
      aborted.push({ location: locationOfKey(prefix, Key), uploadId: UploadId, initiated: upload.Initiated })
    }
    const more = page.IsTruncated === true
    keyMarker = more ? page.NextKeyMarker : undefined
    uploadIdMarker = more ? page.NextUploadIdMarker : undefined
  } while (keyMarker)
  return aborted
}

/** When the upload last received a part (0 when it has none). */
async function lastActivity(ctx: S3Context, Key: string, UploadId: string): Promise<number> {
  let latest = 0
  let marker: string | undefined
  do {
    const page = await ctx.retrying(() =>
      ctx.client.send(new ListPartsCommand({ Bucket: ctx.settings.bucket, Key, UploadId, PartNumberMarker: marker })),
    ).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })
    if (page === undefined) return 0
    for (const part of page.Parts ?? []) latest = Math.max(latest, part.LastModified?.getTime() ?? 0)
    marker = page.IsTruncated === true ? page.NextPartNumberMarker : undefined
  } while (marker)
  return latest
}
