import { rm } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'
import { type DownloadOptions, type DownloadResult, digestHex, IntegrityError, type RangeReader, rangedDownload } from '@assets/core'
import type { S3Context } from './s3-context.js'
import { isRetryableS3Error } from './s3-errors.js'
import type { S3Target } from './s3-location.js'
import { getObject, readWindow } from './ranged-read.js'
import { DIGEST_METADATA } from './object-upload.js'

export interface RemoteObject {
  size: number
  etag?: string
  /** sha256 hex recorded at upload by this plugin, when present. */
  sha256?: string
}

/** The answer to a GET of the object's first range, whose body is the first range of the download. */
interface FirstRange {
  response: GetObjectCommandOutput
  stop: AbortController
  used: boolean
}

/**
 * A fresh download starts with a GET of the first range instead of a HEAD: its answer says the
 * size (Content-Range), the ETag and the sha256 recorded at upload, as a HEAD would, and its
 * body is the first range, so an object of one range costs one request (a folder of small
 * objects, one request per file, as `aws s3 sync`). null for an empty object (no range of it
 * exists): the caller asks with a HEAD.
 */
export async function downloadFresh(ctx: S3Context, target: S3Target, destPath: string, options: DownloadOptions): Promise<DownloadResult | null> {
  const stop = new AbortController()
  const forward = () => stop.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', forward, { once: true })
  let first: FirstRange
  try {
    const response = await getObject(ctx, target, { start: 0, end: ctx.settings.rangeSize }, stop.signal)
    first = { response, stop, used: false }
  } catch (error) {
    options.signal?.throwIfAborted()
    if ((error as { name?: string }).name === 'InvalidRange') return null
    throw error
  } finally {
    options.signal?.removeEventListener('abort', forward)
  }
  const { response } = first
  const total = /\/(\d+)$/.exec(response.ContentRange ?? '')?.[1]
  const remote: RemoteObject = {
    size: total === undefined ? (response.ContentLength ?? 0) : Number(total),
    etag: response.ETag,
    sha256: response.Metadata?.[DIGEST_METADATA],
  }
  try {
    return await downloadObject(ctx, target, remote, destPath, options, first)
  } finally {
    if (!first.used) {
      stop.abort()
      ;(response.Body as Readable | undefined)?.destroy()
    }
  }
}

/**
 * Downloads an object to `destPath` with core's ranged download: ranges of `rangeSize`,
 * `rangeConcurrency` in flight, each pinned to the object's ETag, written at its offset and
 * journalled so that a crash resumes with the ranges already in the file. An object without an
 * ETag comes as one stream. The file is fsynced before the digest is checked, unless the caller
 * makes it durable itself (`deferSync`).
 */
export async function downloadObject(
  ctx: S3Context,
  target: S3Target,
  remote: RemoteObject,
  destPath: string,
  options: DownloadOptions,
  first?: FirstRange,
): Promise<DownloadResult> {
  const { settings } = ctx
  const read: RangeReader = (start, end, signal) => {
    if (first !== undefined && !first.used && start === 0) {
      first.used = true
      return fromFirst(ctx, target, remote, first, end, signal)
    }
    return readWindow(ctx, target, { start, end, etag: remote.etag }, signal)
  }
  const result = await rangedDownload(
    { name: target.location, size: remote.size, version: remote.etag },
    read,
    destPath,
    { rangeSize: settings.rangeSize, concurrency: settings.rangeConcurrency, journalDir: settings.journalDir, fsync: options.deferSync !== true, label: 's3' },
    options,
  )
  // Our own bytes (a fresh download, or ranges our journal vouched for) must match the sha256
  // recorded at upload. A partial file given as a prefix is the caller's, kept as it is (the
  // Storage contract), and checked by the caller.
  if (result.fresh && remote.sha256 !== undefined && remote.sha256 !== digestHex(result.digest)) {
    await rm(destPath, { force: true })
    throw new IntegrityError(`s3: ${target.location} does not match the sha256 recorded when it was uploaded`)
  }
  return { size: result.size, digest: result.digest }
}

/** The first answer's body up to `end`; a connection cut mid-way goes on with ranged GETs pinned to its ETag. */
async function* fromFirst(ctx: S3Context, target: S3Target, remote: RemoteObject, first: FirstRange, end: number | undefined, signal: AbortSignal): AsyncGenerator<Buffer> {
  const stop = () => first.stop.abort(signal.reason)
  signal.addEventListener('abort', stop, { once: true })
  const body = first.response.Body as Readable | undefined
  let position = 0
  try {
    if (body !== undefined) {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          position += chunk.length
          ctx.stats.bytesReceived += chunk.length
          yield chunk
        }
      } catch (error) {
        signal.throwIfAborted()
        if (!isRetryableS3Error(error)) throw error
        ctx.stats.retries++
      } finally {
        body.destroy()
      }
    }
    if (end === undefined || position < end) yield* readWindow(ctx, target, { start: position, end, etag: remote.etag }, signal)
  } finally {
    signal.removeEventListener('abort', stop)
  }
}
