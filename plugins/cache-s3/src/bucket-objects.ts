import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { isNotFound, type S3Context, statusOf, toAssetError } from '@assets/storage-s3'

const DELETES_IN_FLIGHT = 16

export interface ListedObject {
  /** Relative to the cache's prefix. */
  name: string
  size: number
  lastModified: Date
}

/**
 * The small objects of the tier (values and lock records), read and written whole under the
 * cache's prefix through the S3 storage's client and retry policy. Content goes through
 * S3Storage instead, for its multipart uploads and ranged, resumable downloads.
 */
export class BucketObjects {
  constructor(
    private readonly ctx: S3Context,
    readonly prefix: string,
  ) {}

  private key(name: string): string {
    return `${this.prefix}${name}`
  }

  private where(name: string): string {
    return `s3://${this.ctx.settings.bucket}/${this.key(name)}`
  }

  /** The object's text and ETag, or null when there is none. */
  async read(name: string): Promise<{ text: string; etag: string | undefined } | null> {
    try {
      return await this.ctx.retrying(async () => {
        const answer = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.settings.bucket, Key: this.key(name) }))
        return { text: (await answer.Body?.transformToString('utf8')) ?? '', etag: answer.ETag }
      })
    } catch (error) {
      if (isNotFound(error)) return null
      throw this.failure(error, `reading ${this.where(name)}`)
    }
  }

  async write(name: string, text: string): Promise<void> {
    await this.ctx.call(`writing ${this.where(name)}`, () =>
      this.ctx.client.send(new PutObjectCommand({ Bucket: this.ctx.settings.bucket, Key: this.key(name), Body: text, ContentType: 'application/json' })),
    )
  }

  /**
   * Writes the object only if none exists (`If-None-Match: *`): true when this call created it,
   * false when another did first. S3 decides, so of any number of callers exactly one wins.
   */
  async create(name: string, text: string): Promise<boolean> {
    try {
      // Not retried: a retry after a lost answer to our own successful write would report
      // losing to ourselves. The caller reads the record and sees its own token instead.
      this.ctx.stats.requests++
      await this.ctx.client.send(
        new PutObjectCommand({ Bucket: this.ctx.settings.bucket, Key: this.key(name), Body: text, ContentType: 'application/json', IfNoneMatch: '*' }),
      )
      return true
    } catch (error) {
      const status = statusOf(error)
      // 409: a concurrent conditional write to the same key was in progress (AWS documents it).
      if (status === 412 || status === 409) return false
      throw this.failure(error, `creating ${this.where(name)}`)
    }
  }

  /** Deletes the objects, a few requests at a time; a missing one is not an error. */
  async delete(names: string[]): Promise<void> {
    for (let start = 0; start < names.length; start += DELETES_IN_FLIGHT) {
      await Promise.all(
        names.slice(start, start + DELETES_IN_FLIGHT).map((name) =>
          this.ctx.call(`deleting ${this.where(name)}`, () => this.ctx.client.send(new DeleteObjectCommand({ Bucket: this.ctx.settings.bucket, Key: this.key(name) }))),
        ),
      )
    }
  }

  async *list(under: string): AsyncIterable<ListedObject> {
    let token: string | undefined
    do {
      const page = await this.ctx.call(`listing ${this.where(under)}`, () =>
        this.ctx.client.send(new ListObjectsV2Command({ Bucket: this.ctx.settings.bucket, Prefix: this.key(under), ContinuationToken: token })),
      )
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue
        yield { name: object.Key.slice(this.prefix.length), size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  close(): void {
    this.ctx.client.destroy()
  }

  private failure(error: unknown, what: string): Error {
    return toAssetError(error, what)
  }
}
