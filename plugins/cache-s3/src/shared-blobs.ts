import { rm, stat } from 'node:fs/promises'
import { blobLocation, type ContentDigest, isContentDigest, type Logger, NotFoundError } from '@assets/core'
import type { S3Storage } from '@assets/storage-s3'
import type { BucketObjects, ListedObject } from './bucket-objects.js'

export const BLOBS = 'blobs/'

/**
 * Content files in the bucket by digest, moved by the S3 storage itself (multipart uploads,
 * ranged and resumable downloads, retries). Every copy taken from the bucket is hashed against
 * its key before anyone sees it: a damaged object is deleted and read as absent.
 */
export class SharedBlobs {
  constructor(
    private readonly storage: S3Storage,
    private readonly objects: BucketObjects,
    private readonly logger: Logger,
  ) {}

  async has(key: string): Promise<boolean> {
    if (!isContentDigest(key)) return false
    return (await this.storage.stat(blobLocation(key))) !== null
  }

  /**
   * Downloads the blob of `key` to `destination` (a private path of the local tier). False when
   * the bucket holds no intact copy; `destination` is then gone.
   */
  async fetch(key: string, destination: string, signal?: AbortSignal): Promise<boolean> {
    if (!isContentDigest(key)) return false
    try {
      const { digest } = await this.storage.download(blobLocation(key), destination, { resume: true, signal })
      if (digest === key) return true
      await rm(destination, { force: true })
      await this.discard(key, `its bytes hash to ${digest}`)
      return false
    } catch (error) {
      await rm(destination, { force: true })
      if (NotFoundError.isInstance(error)) return false
      throw error
    }
  }

  /**
   * Puts the file of a content key into the bucket, unless already there. Only bytes that hash
   * to their key are shared: every worker trusts what it finds here.
   */
  async share(key: string, path: string): Promise<void> {
    if (!isContentDigest(key)) return
    const info = await stat(path).catch(() => null)
    if (info === null || !info.isFile()) return
    if ((await this.storage.stat(blobLocation(key)))?.size === info.size) return
    // The upload hashes while sending and refuses (leaving nothing) if the bytes do not match.
    await this.storage.upload(blobLocation(key), path, { size: info.size, digest: key as ContentDigest })
  }

  async remove(key: string): Promise<void> {
    if (isContentDigest(key)) await this.storage.delete(blobLocation(key))
  }

  list(): AsyncIterable<ListedObject> {
    return this.objects.list(BLOBS)
  }

  async removeListed(names: string[]): Promise<void> {
    await this.objects.delete(names)
  }

  private async discard(key: string, reason: string): Promise<void> {
    await this.remove(key).catch(() => {})
    this.logger.warn(`s3 cache: discarded ${key} from the bucket: ${reason}; it will be fetched again`)
  }
}
