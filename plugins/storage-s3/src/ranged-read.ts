import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3'
import type { Readable } from 'node:stream'
import type { S3Context } from './s3-context.js'
import { isRetryableS3Error } from './s3-errors.js'
import type { S3Target } from './s3-location.js'

export interface ReadWindow {
  start: number
  /** Exclusive; undefined: to the end of the object. */
  end?: number
  /** Refuse (412) if the object is no longer this version of it. */
  etag?: string
  versionId?: string
}

function rangeHeader(start: number, end: number | undefined): string | undefined {
  if (start === 0 && end === undefined) return undefined
  return `bytes=${start}-${end === undefined ? '' : end - 1}`
}

export async function getObject(ctx: S3Context, target: S3Target, window: ReadWindow, signal?: AbortSignal): Promise<GetObjectCommandOutput> {
  return ctx.retrying(
    () =>
      ctx.client.send(
        new GetObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          Range: rangeHeader(window.start, window.end),
          IfMatch: window.etag,
          VersionId: window.versionId,
        }),
        { abortSignal: signal },
      ),
    signal,
  )
}

/**
 * Streams a byte window of an object. When the connection drops part-way, the read goes on
 * from the last byte received (pinned to the first response's ETag, so the bytes cannot come
 * from a replaced object), up to the retry budget.
 */
export async function* readWindow(ctx: S3Context, target: S3Target, window: ReadWindow, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let position = window.start
  let etag = window.etag
  let end = window.end
  let failures = 0
  for (;;) {
    const response = await getObject(ctx, target, { ...window, start: position, end, etag }, signal)
    etag ??= response.ETag
    end ??= objectEnd(response, position)
    const body = response.Body as Readable | undefined
    if (!body) return
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        position += chunk.length
        ctx.stats.bytesReceived += chunk.length
        yield chunk
        signal?.throwIfAborted()
      }
      return
    } catch (error) {
      signal?.throwIfAborted()
      failures++
      if (!isRetryableS3Error(error) || failures >= ctx.settings.maxAttempts) throw error
      ctx.stats.retries++
      if (end !== undefined && position >= end) return
    } finally {
      body.destroy()
    }
  }
}

/** Where the object ends, from a response: `Content-Range: bytes a-b/total`, else start + length. */
function objectEnd(response: GetObjectCommandOutput, start: number): number | undefined {
  const total = /\/(\d+)$/.exec(response.ContentRange ?? '')?.[1]
  if (total !== undefined) return Number(total)
  return response.ContentLength === undefined ? undefined : start + response.ContentLength
}
