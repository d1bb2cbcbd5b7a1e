import { open as openFile, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import {
  BackendUnavailableError,
  type ContentDigest,
  type DownloadOptions,
  type DownloadResult,
  IntegrityError,
  MAX_PRESIGNED_PUT_BYTES,
  NotFoundError,
  type UploadOptions,
  UnsupportedOperationError,
  withRetry,
} from '@assets/core'
import { isRetryable } from './ranged-content.js'
import type { ServerClient } from './server-client.js'


interface Presigned {
  url: string
  method: 'GET' | 'PUT'
  headers: Record<string, string>
  uploadId?: string
}

// A store's refusal of the bytes themselves (S3, Ceph RGW): retrying cannot help.
const BAD_BYTES = new Set(['XAmzContentSHA256Mismatch', 'BadDigest', 'InvalidDigest', 'IncompleteBody'])


/**
 * The store refused the presigned request itself (403: a proxy that rewrites signed headers, a
 * bucket policy): the same URL asked for again fails the same way, so the caller moves the bytes
 * through the server instead of retrying. Our URLs are presigned just before use, so an expired
 * one is not what a 403 means here.
 */
class StoreRefusedUrl extends Error {}

/** The store's answer to a presigned request as our error: its S3 error code, never the URL. */
async function storeFailure(response: { statusCode: number; body: { text(): Promise<string> } }, what: string): Promise<never> {
  const text = await response.body.text().catch(() => '')
  const code = /<Code>([A-Za-z0-9]+)<\/Code>/.exec(text)?.[1]
  const said = `${what}: the store answered ${response.statusCode}${code ? ` (${code})` : ''}`
  if (code !== undefined && BAD_BYTES.has(code)) throw new IntegrityError(`${said}: it refused the bytes sent; nothing was stored`)
  if (response.statusCode === 404) throw new NotFoundError(said)
  if (response.statusCode === 403) throw new StoreRefusedUrl(said)
  // Throttling or a failing gateway: another attempt asks for a fresh URL.
  throw new BackendUnavailableError('store', said)
}

/**
 * Blob transfers straight between this client and the server's bucket, through URLs the
 * server presigns after its own checks. `undefined` when the server offers none
 * (UNSUPPORTED_OPERATION): the caller then moves the bytes through the server.
 */
export class PresignedTransfer {
  /** The server refused a presigned upload of a size it could take: it offers none. */
  private uploadsOff = false
  /** The server refused a presigned read of a blob in its store, or the store refused our URLs: it offers none. */
  private downloadsOff = false

  constructor(private readonly client: ServerClient) {}

  get enabled(): boolean {
    return this.client.transfer === 'presigned'
  }

  /**
   * PUTs the bytes to a staging object of this user, then asks the server to complete the
   * upload: it checks them (the store refused any others where it checks the signed payload
   * hash), stores the blob and records that this user sent it, as an upload through it would.
   */
  async upload(digest: ContentDigest, size: number, body: () => string | Buffer | Readable, options: UploadOptions = {}): Promise<boolean> {
    if (!this.enabled || this.uploadsOff || size > MAX_PRESIGNED_PUT_BYTES) return false
    try {
      return await withRetry(
        async () => {
          const presigned = await this.ask<Presigned>({ method: 'PUT', digest, size }, options.signal)
          if (presigned === undefined) {
            this.uploadsOff = true
            return false
          }
          const response = await this.client.presigned(presigned, { raw: body(), headers: { 'content-length': String(size) }, signal: options.signal })
          if (response.statusCode < 200 || response.statusCode >= 300) await storeFailure(response, `presigned upload of ${digest}`)
          await response.body.dump()
          // The bytes are in the bucket: a failed completion is asked again, not the upload sent again.
          await withRetry(
            () => this.client.json('POST', '/v1/presign/complete', { body: { uploadId: presigned.uploadId, digest, size }, signal: options.signal, slow: true }),
            { attempts: 4, signal: options.signal, retryable: isRetryable },
          )
          options.onProgress?.({ bytes: size, total: size })
          return true
        },
        { attempts: 4, signal: options.signal, retryable: isRetryable },
      )
    } catch (error) {
      if (!(error instanceof StoreRefusedUrl)) throw error
      this.uploadsOff = true
      return false
    }
  }

  /**
   * Reads `location` of a version into `destPath` through a presigned GET, continuing a partial
   * file with a Range. Returns no digest: the caller verifies the file, as for any download.
   */
  async download(asset: { key: string; version: string }, location: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult | undefined> {
    if (!this.enabled || this.downloadsOff) return undefined
    let resume = options.resume === true
    try {
      return await this.downloadOnce(asset, location, destPath, options, () => {
        const again = resume
        resume = true
        return again
      })
    } catch (error) {
      if (!(error instanceof StoreRefusedUrl)) throw error
      this.downloadsOff = true
      return undefined
    }
  }

  private downloadOnce(
    asset: { key: string; version: string },
    location: string,
    destPath: string,
    options: DownloadOptions,
    resuming: () => boolean,
  ): Promise<DownloadResult | undefined> {
    return withRetry(
      async () => {
        const resume = resuming()
        const presigned = await this.ask<Presigned>({ method: 'GET', key: asset.key, ref: asset.version, location }, options.signal)
        if (presigned === undefined) {
          // Refused for a blob of its own store: the server makes no presigned URLs at all (a
          // reference's content, refused for what it is, says nothing about the next blob).
          if (location.startsWith('blobs/')) this.downloadsOff = true
          return undefined
        }
        const existing = resume ? await sizeOf(destPath) : 0
        const response = await this.client.presigned(presigned, { headers: existing > 0 ? { range: `bytes=${existing}-` } : {}, signal: options.signal })
        // Nothing after the bytes already here: the file is whole (the caller checks its digest).
        if (response.statusCode === 416 && existing > 0) {
          await response.body.dump()
          return { size: existing }
        }
        if (response.statusCode !== 200 && response.statusCode !== 206) await storeFailure(response, `presigned download of ${location} of ${asset.key}@${asset.version}`)
        // A store that ignored the range sends everything: the file starts over.
        const from = response.statusCode === 206 ? existing : 0
        const file = await openFile(destPath, from > 0 ? 'a' : 'w')
        let size = from
        try {
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
            await file.write(chunk)
            size += chunk.length
            options.onProgress?.({ bytes: size })
          }
          if (!options.deferSync) await file.sync()
        } finally {
          await file.close()
        }
        return { size }
      },
      { attempts: 5, signal: options.signal, retryable: isRetryable },
    )
  }

  /** POST /v1/presign; undefined when the server answers UNSUPPORTED_OPERATION. */
  private async ask<T>(body: Record<string, unknown>, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.client.json<T>('POST', '/v1/presign', { body, signal })
    } catch (error) {
      if (UnsupportedOperationError.isInstance(error)) return undefined
      throw error
    }
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}
