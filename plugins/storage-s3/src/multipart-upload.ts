import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import type { S3Context } from './s3-context.js'
import { isNotFound } from './s3-errors.js'
import type { S3Target } from './s3-location.js'
import type { JournalPart, JournalWriter } from './upload-journal.js'

/** The parts the server holds for an upload, by number; null when the upload is gone. */
export async function listServerParts(ctx: S3Context, target: S3Target, uploadId: string, signal?: AbortSignal): Promise<Map<number, JournalPart> | null> {
  const found = new Map<number, JournalPart>()
  let marker: string | undefined
  try {
    do {
      const page = await ctx.retrying(
        () => ctx.client.send(new ListPartsCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumberMarker: marker }), { abortSignal: signal }),
        signal,
      )
      for (const p of page.Parts ?? []) {
        if (p.PartNumber === undefined || p.ETag === undefined) continue
        found.set(p.PartNumber, { partNumber: p.PartNumber, etag: p.ETag, size: p.Size ?? 0, checksum: p.ChecksumCRC32 })
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined
    } while (marker)
  } catch (error) {
    if (isNotFound(error)) return null
    throw error
  }
  return found
}

/** Parts of the journal that the server still has, unchanged; the journal is trimmed to them. */
export async function confirmedParts(ctx: S3Context, target: S3Target, journal: JournalWriter, signal?: AbortSignal): Promise<Map<number, JournalPart> | null> {
  const server = await listServerParts(ctx, target, journal.uploadId, signal)
  if (server === null) return null
  const kept = new Map<number, JournalPart>()
  for (const part of journal.parts) {
    const held = server.get(part.partNumber)
    if (held && held.etag === part.etag && held.size === part.size) kept.set(part.partNumber, part)
  }
  return kept
}

export async function createUpload(ctx: S3Context, target: S3Target, metadata: Record<string, string>, checksums: boolean, signal?: AbortSignal): Promise<string> {
  const created = await ctx.retrying(
    () =>
      ctx.client.send(
        new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, Metadata: metadata, ...(checksums ? { ChecksumAlgorithm: 'CRC32' } : {}) }),
        { abortSignal: signal },
      ),
    signal,
  )
  if (!created.UploadId) throw new Error('CreateMultipartUpload returned no upload id')
  return created.UploadId
}

export async function uploadPart(ctx: S3Context, target: S3Target, uploadId: string, partNumber: number, body: Buffer, signal?: AbortSignal): Promise<JournalPart> {
  const result = await ctx.retrying(() => {
    ctx.stats.bytesSent += body.length
    return ctx.client.send(
      new UploadPartCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
      { abortSignal: signal },
    )
  }, signal)
  if (!result.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`)
  return { partNumber, etag: result.ETag, size: body.length, checksum: result.ChecksumCRC32 }
}

/**
 * Commits the parts. When a first attempt succeeded but its answer was lost, the retry finds
 * the upload gone: the object is then there with the expected size, and that counts as done.
 */
export async function completeUpload(
  ctx: S3Context,
  target: S3Target,
  uploadId: string,
  parts: JournalPart[],
  size: number,
  signal?: AbortSignal,
): Promise<{ etag?: string; versionId?: string }> {
  const sorted: CompletedPart[] = [...parts]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ...(p.checksum ? { ChecksumCRC32: p.checksum } : {}) }))
  let attempts = 0
  try {
    const done = await ctx.retrying(() => {
      attempts++
      return ctx.client.send(
        new CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, MultipartUpload: { Parts: sorted } }),
        { abortSignal: signal },
      )
    }, signal)
    return { etag: done.ETag, versionId: done.VersionId }
  } catch (error) {
    if (attempts < 2 || !isNotFound(error)) throw error
    const head = await ctx.retrying(() => ctx.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal: signal }), signal)
    if (head.ContentLength !== size) throw error
    return { etag: head.ETag, versionId: head.VersionId }
  }
}

/** Best effort: a leftover upload is also found later by abortStaleUploads. */
export async function abortUpload(ctx: S3Context, target: S3Target, uploadId: string): Promise<void> {
  await ctx
    .retrying(() => ctx.client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId })))
    .catch((error: unknown) => {
      if (!isNotFound(error)) ctx.settings.warn(`s3: could not abort multipart upload of s3://${target.bucket}/${target.key}; gc will remove it later`)
    })
}
