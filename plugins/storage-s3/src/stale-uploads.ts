import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import type { S3Context } from './s3-context.js'
import { isNotFound } from './s3-errors.js'
import { locationOfKey } from './s3-location.js'

export interface StaleUpload {
  location: string
  uploadId: string
  initiated?: Date
}

/**
 * Aborts the multipart uploads under the store's prefix that were started before `olderThan`:
 * those of crashed or abandoned puts, whose parts the server keeps (and bills) until then.
 */
export async function abortStaleUploads(ctx: S3Context, olderThan: Date): Promise<StaleUpload[]> {
  const { bucket, prefix } = ctx.settings
  const aborted: StaleUpload[] = []
  let keyMarker: string | undefined
  let uploadIdMarker: string | undefined
  do {
    const page = await ctx.retrying(() =>
      ctx.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
    )
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() >= olderThan.getTime()) continue
      const { Key, UploadId } = upload
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
