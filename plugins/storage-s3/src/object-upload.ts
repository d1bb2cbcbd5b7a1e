import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { type ContentDigest, digestHex, hashFile, IntegrityError, InvalidInputError, toContentDigest, type UploadOptions } from '@assets/core'
import { abortUpload, completeUpload, confirmedParts, createUpload, uploadPart } from './multipart-upload.js'
import { FileParts } from './file-parts.js'
import { fixedSizeParts } from './part-reader.js'
import type { S3Context } from './s3-context.js'
import { isAbort, isNotFound } from './s3-errors.js'
import { describeTarget, type S3Target } from './s3-location.js'
import { type JournalIdentity, type JournalPart, JournalWriter, journalPath, readJournal } from './upload-journal.js'

/** Object metadata key holding the sha256 of what we wrote, so later reads can check it. */
export const DIGEST_METADATA = 'sha256'

const SMALL_FILE_BYTES = 1 << 20

export interface UploadedObject {
  size: number
  digest: ContentDigest
  etag?: string
  versionId?: string
}

interface SourceFile {
  path: string
  size: number
  mtimeMs: number
  ino: number
}

async function sourceFile(path: string): Promise<SourceFile> {
  const absolute = resolve(path)
  const info = await stat(absolute).catch((cause: unknown) => {
    throw new InvalidInputError(`s3: source file ${path} does not exist or cannot be read`, { cause })
  })
  if (!info.isFile()) throw new InvalidInputError(`s3: source ${path} is not a file`)
  return { path: absolute, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino }
}

function checkExpected(target: S3Target, actual: { digest: ContentDigest; size: number }, options: UploadOptions): void {
  if (options.size !== undefined && actual.size !== options.size) {
    throw new IntegrityError(`s3: upload to ${describeTarget(target)} refused: expected ${options.size} bytes, got ${actual.size}`)
  }
  if (options.digest !== undefined && actual.digest !== options.digest) {
    throw new IntegrityError(`s3: upload to ${describeTarget(target)} refused: expected ${options.digest}, got ${actual.digest}`)
  }
}

/**
 * Content already stored (same sha256 recorded at upload, same size) is not sent again. The
 * local file is still hashed, so a wrong caller-given digest cannot skip an upload.
 */
async function alreadyStored(ctx: S3Context, target: S3Target, file: SourceFile | undefined, options: UploadOptions): Promise<UploadedObject | null> {
  // Below a MiB a PUT costs about what the HEAD that could save it does (a folder's small files).
  if (file === undefined || options.digest === undefined || file.size < SMALL_FILE_BYTES) return null
  const head = await ctx
    .retrying(() => ctx.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal: options.signal }), options.signal)
    .catch((error: unknown) => {
      if (isNotFound(error)) return null
      throw error
    })
  if (!head || head.Metadata?.[DIGEST_METADATA] !== digestHex(options.digest) || head.ContentLength !== file.size) return null
  const local = await hashFile(file.path, { signal: options.signal })
  if (local.digest !== options.digest) return null
  options.onProgress?.({ bytes: file.size, total: file.size })
  return { ...local, etag: head.ETag, versionId: head.VersionId }
}

/**
 * Uploads a file or a stream. Up to one part is buffered to decide: a short source is one PUT
 * (after its digest is checked), a longer one a multipart upload with `concurrency` parts in
 * flight that is completed only once the digest of every byte matched. Nothing is visible at
 * the location before that. A file's upload keeps a journal, so a rerun after a crash or a
 * lost connection sends only the parts the server does not hold yet.
 */
export async function uploadObject(
  ctx: S3Context,
  target: S3Target,
  source: string | AsyncIterable<Uint8Array>,
  options: UploadOptions,
  checksums: boolean,
): Promise<UploadedObject> {
  const { signal } = options
  signal?.throwIfAborted()
  const file = typeof source === 'string' ? await sourceFile(source) : undefined
  const skipped = await alreadyStored(ctx, target, file, options)
  if (skipped) return skipped
  const { partSize } = ctx.settings
  const total = file?.size ?? options.size
  const hash = createHash('sha256')
  // A file is read straight into reused part buffers: one more than the parts in flight.
  const pool = file ? new FileParts(file.path, file.size, partSize, ctx.settings.concurrency + 1) : undefined
  const parts = pool && file ? pool.read(hash, signal) : fixedSizeParts(source as AsyncIterable<Uint8Array>, partSize, hash)
  const first = await parts.next()
  const second = first.done ? first : await parts.next()
  if (second.done) {
    const body = first.done ? Buffer.alloc(0) : first.value
    const actual = { digest: toContentDigest(hash), size: body.length }
    checkExpected(target, actual, options)
    const put = await ctx.retrying(() => {
      ctx.stats.bytesSent += body.length
      return ctx.client.send(
        new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentLength: body.length, Metadata: { [DIGEST_METADATA]: digestHex(actual.digest) } }),
        { abortSignal: signal },
      )
    }, signal)
    options.onProgress?.({ bytes: body.length, total: total ?? body.length })
    return { ...actual, etag: put.ETag, versionId: put.VersionId }
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (!first.done) yield first.value
    if (!second.done) yield second.value
    yield* parts
  }
  const journal = await openJournal(ctx, target, file, options, checksums).catch(async (error: unknown) => {
    await parts.return(undefined)
    throw error
  })
  try {
    const uploaded = await sendParts(ctx, target, journal, all(), total, options, (part) => pool?.release(part))
    const actual = { digest: toContentDigest(hash), size: uploaded.size }
    checkExpected(target, actual, options)
    if (file && actual.size !== file.size) throw new IntegrityError(`s3: ${file.path} changed size while it was being uploaded`)
    const done = await completeUpload(ctx, target, journal.uploadId, uploaded.parts, actual.size, signal)
    await journal.remove()
    return { ...actual, ...done }
  } catch (error) {
    // A file's upload cut by the network is kept for a rerun; anything else is cleaned now.
    if (file === undefined || isAbort(error, signal) || IntegrityError.isInstance(error)) {
      await abortUpload(ctx, target, journal.uploadId)
      await journal.remove()
    } else {
      await journal.flush().catch(() => {})
    }
    throw error
  }
}

/** A journal left by an earlier run of the same file upload, if the server still has its upload; else a new upload. */
async function openJournal(ctx: S3Context, target: S3Target, file: SourceFile | undefined, options: UploadOptions, checksums: boolean): Promise<JournalWriter> {
  const metadata: Record<string, string> = options.digest ? { [DIGEST_METADATA]: digestHex(options.digest) } : {}
  const identity: JournalIdentity | undefined = file && {
    bucket: target.bucket,
    key: target.key,
    partSize: ctx.settings.partSize,
    source: { path: file.path, size: file.size, mtimeMs: file.mtimeMs, ino: file.ino },
  }
  const path = identity ? journalPath(ctx.settings.journalDir, identity) : null
  if (identity && path) {
    const previous = await readJournal(path, identity)
    if (previous) {
      const writer = new JournalWriter(path, previous)
      const kept = await confirmedParts(ctx, target, writer, options.signal)
      if (kept) {
        await writer.keepOnly([...kept.values()])
        return writer
      }
    }
  }
  const uploadId = await createUpload(ctx, target, metadata, checksums, options.signal)
  const writer = new JournalWriter(path, {
    bucket: target.bucket,
    key: target.key,
    uploadId,
    partSize: ctx.settings.partSize,
    source: identity?.source ?? { path: '', size: 0, mtimeMs: 0, ino: 0 },
    parts: [],
  })
  await writer.keepOnly([])
  return writer
}

/** Sends the parts the journal does not hold, `concurrency` at a time, recording each one as it lands. */
async function sendParts(
  ctx: S3Context,
  target: S3Target,
  journal: JournalWriter,
  parts: AsyncIterable<Buffer>,
  total: number | undefined,
  options: UploadOptions,
  release: (part: Buffer) => void,
): Promise<{ size: number; parts: JournalPart[] }> {
  const held = new Map(journal.parts.map((p) => [p.partNumber, p]))
  const inner = new AbortController()
  const stop = () => inner.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', stop, { once: true })
  const inflight = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  let size = 0
  let moved = 0
  let partNumber = 0
  const progress = (bytes: number) => {
    moved += bytes
    options.onProgress?.({ bytes: moved, total })
  }
  try {
    for await (const body of parts) {
      partNumber++
      size += body.length
      const previous = held.get(partNumber)
      if (previous && previous.size === body.length) {
        release(body)
        progress(body.length)
        continue
      }
      while (inflight.size >= ctx.settings.concurrency && !failure) await Promise.race(inflight)
      if (failure) break
      const n = partNumber
      const task = uploadPart(ctx, target, journal.uploadId, n, body, inner.signal)
        .finally(() => release(body))
        .then(async (part) => {
          await journal.record(part)
          progress(part.size)
        })
        .catch((error: unknown) => {
          failure ??= { error }
          inner.abort()
        })
        .finally(() => inflight.delete(task))
      inflight.add(task)
    }
  } catch (error) {
    inner.abort()
    throw error
  } finally {
    await Promise.all(inflight)
    options.signal?.removeEventListener('abort', stop)
  }
  if (failure) throw options.signal?.aborted ? options.signal.reason : failure.error
  options.signal?.throwIfAborted()
  return { size, parts: [...journal.parts] }
}
