import { join } from 'node:path'
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import {
  AccessDeniedError,
  AssetError,
  checkLocation,
  checkPresignRequest,
  checkPresignTarget,
  type DownloadOptions,
  type DownloadResult,
  type ExternalObject,
  InvalidInputError,
  NotFoundError,
  type OpenOptions,
  type PresignedRequest,
  type PresignRequest,
  type Storage,
  type StorageCapabilities,
  type StorageObjectInfo,
  type UploadOptions,
  type UploadResult,
  UnsupportedOperationError,
} from '@assets/core'
import { abortStaleUploads, type StaleUpload } from './stale-uploads.js'
import { describeExternalObject } from './external-reference.js'
import { copyObject } from './object-copy.js'
import { presignObject } from './presigned-request.js'
import { DIGEST_METADATA, uploadObject } from './object-upload.js'
import { downloadFresh, downloadObject } from './ranged-download.js'
import { readWindow } from './ranged-read.js'
import { createS3Client } from './s3-client.js'
import { S3Context, type TransferStats } from './s3-context.js'
import { isNotFound, toAssetError } from './s3-errors.js'
import type { UploadMemoryStats } from './upload-memory.js'
import { describeTarget, isExternalUri, locationOfKey, normalizePrefix, resolveTarget, type S3Target } from './s3-location.js'
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_BLIND_WRITE_BYTES,
  DEFAULT_FOLDER_CONCURRENCY,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PART_SIZE,
  DEFAULT_RANGE_CONCURRENCY,
  DEFAULT_RANGE_SIZE,
  type S3StorageEnvironment,
  type S3StorageOptions,
} from './s3-options.js'

export const S3_STORAGE_CAPABILITIES: Readonly<StorageCapabilities> = Object.freeze({
  write: true,
  delete: true,
  list: true,
  range: true,
  multipart: true,
  resumableUpload: true,
  presign: true,
  atomicMove: false,
  folderConcurrency: DEFAULT_FOLDER_CONCURRENCY,
  writeWithoutAskingBelow: DEFAULT_BLIND_WRITE_BYTES,
})

function rethrow(error: unknown, what: string): never {
  throw AssetError.isInstance(error) ? error : toAssetError(error, what)
}

function checkRange(options: OpenOptions): { start: number; end?: number } {
  const start = options.start ?? 0
  const { end } = options
  const bad = (n: number | undefined) => n !== undefined && (!Number.isSafeInteger(n) || n < 0)
  if (bad(start) || bad(end) || (end !== undefined && end < start)) {
    throw new InvalidInputError(`s3: invalid range ${options.start ?? ''}-${options.end ?? ''} (start inclusive, end exclusive, both >= 0)`)
  }
  return { start, end }
}

/**
 * A store in an S3 bucket (AWS or any S3-compatible server) under an optional prefix. Large
 * objects move as parallel multipart uploads and ranged GETs; a file upload cut short resumes
 * from its journal. Creating it does no I/O.
 */
export class S3Storage implements Storage {
  readonly name = 's3'
  readonly capabilities: StorageCapabilities
  readonly bucket: string
  readonly prefix: string
  private readonly ctx: S3Context
  private readonly checksums: boolean
  private readonly anonymous: boolean
  private readonly payloadCheck: boolean
  private readonly referenceBuckets: ReadonlySet<string>

  constructor(options: S3StorageOptions, env: S3StorageEnvironment = {}) {
    if (typeof options?.bucket !== 'string' || options.bucket.length < 3) {
      throw new InvalidInputError('s3: option "bucket" (S3_BUCKET) is required')
    }
    this.bucket = options.bucket
    this.prefix = normalizePrefix(options.prefix)
    this.checksums = options.checksum !== 'when_required'
    this.anonymous = options.anonymous === true
    this.payloadCheck = options.presignedPayloadCheck !== false
    this.referenceBuckets = new Set(options.referenceBuckets ?? [this.bucket])
    // Anonymous requests have no key to sign a URL with.
    this.capabilities =
      options.folderConcurrency === undefined && options.blindWriteBytes === undefined && !this.anonymous
        ? S3_STORAGE_CAPABILITIES
        : Object.freeze({
            ...S3_STORAGE_CAPABILITIES,
            presign: !this.anonymous,
            folderConcurrency: options.folderConcurrency ?? DEFAULT_FOLDER_CONCURRENCY,
            writeWithoutAskingBelow: options.blindWriteBytes ?? DEFAULT_BLIND_WRITE_BYTES,
          })
    const logger = env.logger ?? { warn: () => {} }
    const partSize = options.partSize ?? DEFAULT_PART_SIZE
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
    if (options.uploadMemoryBytes !== undefined && options.uploadMemoryBytes < partSize) {
      throw new InvalidInputError(`s3: option uploadMemoryBytes (${options.uploadMemoryBytes}) must hold at least one part (partSize ${partSize})`)
    }
    this.ctx = new S3Context(createS3Client(options, env), {
      bucket: this.bucket,
      prefix: this.prefix,
      partSize,
      concurrency,
      uploadMemoryBytes: options.uploadMemoryBytes ?? 2 * concurrency * partSize,
      rangeSize: options.rangeSize ?? DEFAULT_RANGE_SIZE,
      rangeConcurrency: options.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
      journalDir: options.journalDir ?? join(env.cacheDir ?? join(process.cwd(), '.assets-cache'), 's3-journals'),
      warn: (message) => logger.warn(message),
    })
  }

  /** What crossed the wire since this instance was created. */
  get stats(): Readonly<TransferStats> {
    return this.ctx.stats
  }

  /** The part buffers of this storage's uploads: the shared budget, what is held now and at most. */
  get uploadMemory(): Readonly<UploadMemoryStats> {
    return this.ctx.uploadMemory.stats
  }

  get journalDir(): string {
    return this.ctx.settings.journalDir
  }

  private target(location: string): S3Target {
    return resolveTarget(this.bucket, this.prefix, location)
  }

  async upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<UploadResult> {
    const target = this.target(location)
    try {
      const uploaded = await uploadObject(this.ctx, target, source, options, this.checksums)
      return { location, ...uploaded }
    } catch (error) {
      rethrow(error, `uploading to ${describeTarget(target)}`)
    }
  }

  async download(location: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    options.signal?.throwIfAborted()
    const target = this.target(location)
    try {
      // A resume needs the journal's view first; a fresh download learns what a HEAD says from its first GET.
      const fresh = options.resume === true ? null : await downloadFresh(this.ctx, target, destPath, options)
      if (fresh !== null) return fresh
      const head = await this.head(target, options.signal)
      if (!head) throw new NotFoundError(`s3: ${describeTarget(target)} does not exist`)
      return await downloadObject(this.ctx, target, head, destPath, options)
    } catch (error) {
      rethrow(error, `downloading ${describeTarget(target)}`)
    }
  }

  async *open(location: string, options: OpenOptions = {}): AsyncIterable<Uint8Array> {
    const target = this.target(location)
    const { start, end } = checkRange(options)
    options.signal?.throwIfAborted()
    try {
      if (end === start) {
        if (!(await this.head(target, options.signal))) throw new NotFoundError(`s3: ${describeTarget(target)} does not exist`)
        return
      }
      yield* this.openFrom(target, start, end, options.signal)
    } catch (error) {
      rethrow(error, `reading ${describeTarget(target)}`)
    }
  }

  /** Reads from `start` without a HEAD first; a start past the end reads nothing. */
  private async *openFrom(target: S3Target, start: number, end: number | undefined, signal?: AbortSignal): AsyncIterable<Buffer> {
    try {
      yield* readWindow(this.ctx, target, { start, end }, signal)
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidRange') throw error
      if (!(await this.head(target, signal))) throw new NotFoundError(`s3: ${describeTarget(target)} does not exist`)
    }
  }

  async stat(location: string): Promise<StorageObjectInfo | null> {
    const target = this.target(location)
    try {
      const head = await this.head(target)
      return head && { location, size: head.size, etag: head.etag, versionId: head.versionId, lastModified: head.lastModified }
    } catch (error) {
      rethrow(error, `looking up ${describeTarget(target)}`)
    }
  }

  private async head(target: S3Target, signal?: AbortSignal) {
    try {
      const head = await this.ctx.retrying(
        () => this.ctx.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal: signal }),
        signal,
      )
      return {
        size: head.ContentLength ?? 0,
        etag: head.ETag,
        versionId: head.VersionId,
        lastModified: head.LastModified,
        sha256: head.Metadata?.[DIGEST_METADATA],
      }
    } catch (error) {
      if (isNotFound(error) && (error as { name?: string }).name !== 'NoSuchBucket') return null
      throw error
    }
  }

  async delete(location: string): Promise<void> {
    const target = this.target(location)
    await this.ctx.call(`deleting ${describeTarget(target)}`, () => this.ctx.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key })))
  }

  async *list(prefix: string): AsyncIterable<StorageObjectInfo> {
    if (typeof prefix !== 'string' || prefix.startsWith('/') || prefix.startsWith('s3://')) {
      throw new InvalidInputError(`s3: invalid list prefix ${JSON.stringify(prefix)}`)
    }
    let token: string | undefined
    do {
      const page = await this.ctx.call(`listing s3://${this.bucket}/${this.prefix}${prefix}`, () =>
        this.ctx.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${prefix}`, ContinuationToken: token })),
      )
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue
        yield { location: locationOfKey(this.prefix, object.Key), size: object.Size ?? 0, etag: object.ETag, lastModified: object.LastModified }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  /** Registers by reference: stats an object this store did not write and hashes it in one read. */
  async describeExternal(uri: string, options: { signal?: AbortSignal } = {}): Promise<ExternalObject> {
    if (!isExternalUri(uri)) throw new InvalidInputError(`s3: a reference must be an s3://bucket/key URI, got ${JSON.stringify(uri)}`)
    const target = this.target(uri)
    // Whatever the worker's credentials can read, a user registers only what the store allows:
    // otherwise registering, then getting, would read any bucket the service account can.
    if (!this.referenceBuckets.has(target.bucket)) {
      throw new AccessDeniedError(`s3: objects of bucket ${target.bucket} may not be registered by reference here (option referenceBuckets)`)
    }
    try {
      return await describeExternalObject(this.ctx, target, this.prefix, this.bucket, options.signal)
    } catch (error) {
      rethrow(error, `reading ${describeTarget(target)} to register it`)
    }
  }

  /**
   * A GetObject or PutObject URL for one of the store's own objects (a relative location under
   * its prefix: no `s3://` reference, no other bucket). A PUT with a digest signs its hash, and
   * is `verified` unless option presignedPayloadCheck says the server may not check it (see
   * presigned-request.ts). Signing sends nothing.
   */
  async presign(location: string, request: PresignRequest): Promise<PresignedRequest> {
    const checked = checkPresignRequest('s3', request)
    if (this.anonymous) throw new UnsupportedOperationError('s3: an anonymous store (option anonymous) has no credentials to presign with')
    if (isExternalUri(location)) throw new InvalidInputError('s3: only the store\'s own locations are presigned, not s3:// references')
    checkPresignTarget('s3', location, checked)
    const target = this.target(checkLocation('s3', location))
    try {
      return await presignObject(this.ctx, target, checked, { checksums: this.checksums, payloadCheck: this.payloadCheck })
    } catch (error) {
      rethrow(error, `presigning ${describeTarget(target)}`)
    }
  }

  /**
   * A server-side CopyObject between two of the store's own locations (no `s3://` reference):
   * the bytes stay in the bucket, and the object's metadata (its recorded sha256) goes along.
   * One request copies at most 5 GiB; a larger source is refused.
   */
  async copy(from: string, to: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (isExternalUri(from) || isExternalUri(to)) throw new InvalidInputError('s3: copy is between the store\'s own locations, not s3:// references')
    const [source, target] = [this.target(checkLocation('s3', from)), this.target(checkLocation('s3', to))]
    const head = await this.head(source, options.signal).catch((error: unknown) => rethrow(error, `looking up ${describeTarget(source)}`))
    if (!head) throw new NotFoundError(`s3: ${describeTarget(source)} does not exist`)
    await copyObject(this.ctx, source, target, head.size, options.signal)
  }

  /** Aborts multipart uploads under the store's prefix started before `olderThan`; gc calls this. */
  async abortStaleUploads(olderThan: Date): Promise<StaleUpload[]> {
    try {
      return await abortStaleUploads(this.ctx, olderThan)
    } catch (error) {
      rethrow(error, `listing multipart uploads in s3://${this.bucket}/${this.prefix}`)
    }
  }

  async close(): Promise<void> {
    this.ctx.client.destroy()
  }
}
