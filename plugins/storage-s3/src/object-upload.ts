import { createHash, type Hash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { type ContentDigest, digestHex, hashFile, IntegrityError, InvalidInputError, toContentDigest, type UploadOptions } from '@assets/core'
import { abortUpload, completeUpload, confirmedParts, createUpload, uploadPart } from './multipart-upload.js'
import { FileParts } from './file-parts.js'
import { StreamParts } from './stream-parts.js'
import type { S3Context } from './s3-context.js'
import { isAbort, isNotFound } from './s3-errors.js'
import { describeTarget, type S3Target } from './s3-location.js'
import type { UploadLease } from './upload-memory.js'
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
 * Uploads a file or a stream. A file up to one part long, or a stream that turns out so (up to
 * one part is buffered to decide), is one PUT sent after its digest is checked; a longer one a
 * multipart upload with `concurrency` parts in flight that is completed only once the digest of
 * every byte matched. Nothing is visible at the location before that. Part buffers come from
 * the storage's shared budget (`uploadMemoryBytes`), which the upload gives back whole when it
 * ends, whatever the outcome. A file's upload keeps a journal, so a rerun after a crash or a
 * lost connection sends only the parts the server does not hold yet.
 */
export async function uploadObject(
  ctx: S3Context,
  target: S3Target,
  source: string | AsyncIterable<Uint8Array>,
  options: UploadOptions,
  checksums: boolean,
): Promise<UploadedObject> {
  options.signal?.throwIfAborted()
  const file = typeof source === 'string' ? await sourceFile(source) : undefined
  const skipped = await alreadyStored(ctx, target, file, options)
  if (skipped) return skipped
  const lease = ctx.uploadMemory.lease()
  try {
    return file ? await uploadFile(ctx, target, file, lease, options, checksums) : await uploadStream(ctx, target, source as AsyncIterable<Uint8Array>, lease, options, checksums)
  } finally {
    lease.close()
  }
}

async function uploadFile(ctx: S3Context, target: S3Target, file: SourceFile, lease: UploadLease, options: UploadOptions, checksums: boolean): Promise<UploadedObject> {
  const hash = createHash('sha256')
  const pool = new FileParts(file.path, file.size, ctx.settings.partSize, lease)
  const parts = pool.read(hash, options.signal)
  // The size decides, so no part waits for another's room: an upload that held one part while
  // waiting for a second could, with enough uploads at once, leave none for anybody. (A
  // stream looks one chunk ahead instead; see StreamParts.)
  if (file.size > ctx.settings.partSize) return sendMultipart(ctx, target, file, parts, (part) => pool.release(part), hash, file.size, options, checksums)
  const only = await parts.next()
  const body = only.done ? Buffer.alloc(0) : only.value
  try {
    // Runs the reader to its end: the file's size is checked once more and the file closed.
    await parts.next()
    return await putSingle(ctx, target, body, hash, options)
  } finally {
    if (!only.done) pool.release(body)
  }
}

async function uploadStream(
  ctx: S3Context,
  target: S3Target,
  source: AsyncIterable<Uint8Array>,
  lease: UploadLease,
  options: UploadOptions,
  checksums: boolean,
): Promise<UploadedObject> {
  const { partSize } = ctx.settings
  const hash = createHash('sha256')
  // A stream declared shorter than a part takes a buffer of its size only (an empty one, none).
  const declaredSmall = options.size !== undefined && options.size < partSize
  const reader = new StreamParts(source, declaredSmall ? (options.size as number) : partSize, hash, lease)
  const parts = reader.read(options.signal)
  const first = await parts.next()
  if (first.done || reader.finished) {
    const body = first.done ? Buffer.alloc(0) : first.value
    try {
      return await putSingle(ctx, target, body, hash, options)
    } finally {
      if (!first.done) reader.release(body)
    }
  }
  if (declaredSmall) {
    reader.release(first.value)
    await parts.return(undefined)
    throw new IntegrityError(`s3: upload to ${describeTarget(target)} refused: expected ${options.size} bytes, got more`)
  }
  const head = first.value
  async function* all(): AsyncGenerator<Buffer> {
    yield head
    yield* parts
  }
  return sendMultipart(ctx, target, undefined, all(), (part) => reader.release(part), hash, options.size, options, checksums)
}

async function putSingle(ctx: S3Context, target: S3Target, body: Buffer, hash: Hash, options: UploadOptions): Promise<UploadedObject> {
  const actual = { digest: toContentDigest(hash), size: body.length }
  checkExpected(target, actual, options)
  const put = await ctx.retrying(() => {
    ctx.stats.bytesSent += body.length
    return ctx.client.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentLength: body.length, Metadata: { [DIGEST_METADATA]: digestHex(actual.digest) } }),
      { abortSignal: options.signal },
    )
  }, options.signal)
  options.onProgress?.({ bytes: body.length, total: options.size ?? body.length })
  return { ...actual, etag: put.ETag, versionId: put.VersionId }
}

async function sendMultipart(
  ctx: S3Context,
  target: S3Target,
  file: SourceFile | undefined,
  parts: AsyncGenerator<Buffer>,
  release: (part: Buffer) => void,
  hash: Hash,
  total: number | undefined,
  options: UploadOptions,
  checksums: boolean,
): Promise<UploadedObject> {
  const { signal } = options
  const journal = await openJournal(ctx, target, file, options, checksums).catch(async (error: unknown) => {
    await parts.return(undefined)
    throw error
  })
  try {
    const uploaded = await sendParts(ctx, target, journal, parts, total, options, release)
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
      if (failure) {
        release(body)
        break
      }
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
