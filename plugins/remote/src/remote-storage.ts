import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import {
  type ContentDigest,
  type DownloadOptions,
  type DownloadResult,
  InvalidInputError,
  isTransientNetworkError,
  NotFoundError,
  type OpenOptions,
  type Storage,
  type StorageCapabilities,
  type StorageObjectInfo,
  UnsupportedOperationError,
  type UploadOptions,
  type UploadResult,
  withRetry,
} from '@assets/core'
import { PresignedTransfer } from './presigned-transfer.js'
import { downloadContent, type RangedContentSettings, rangedContentSettings } from './ranged-content.js'
import { keyPath, type ServerClient } from './server-client.js'

const BLOB = /^blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/
const READ_THROUGH_A_VERSION = 'the asset server serves content through the version it belongs to'

const CAPABILITIES: StorageCapabilities = {
  write: true,
  delete: false,
  list: false,
  range: true,
  multipart: false,
  resumableUpload: true,
  presign: false,
  atomicMove: false,
  folderConcurrency: 16,
}

/**
 * The content side of an asset server. Writes are blob uploads that the server hashes and
 * stores only under the digest of the bytes it received; a dropped upload resumes from the
 * offset the server reports. Reads go through `scopedTo(version)`: the server serves a blob
 * only as part of a version the token may read, so the unscoped store reads nothing.
 */
export class RemoteStorage implements Storage {
  readonly name = 'remote'
  readonly capabilities = CAPABILITIES
  /** Blob bytes straight to and from the bucket, with option transfer: presigned. */
  readonly direct: PresignedTransfer
  /** How downloads through the server are split into ranges (set from the options by createRemoteStorage). */
  ranged: RangedContentSettings = rangedContentSettings({})

  constructor(private readonly client: ServerClient) {
    this.direct = new PresignedTransfer(client)
  }

  async upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<UploadResult> {
    const blob = BLOB.exec(location)
    if (!blob) throw new InvalidInputError(`the asset server stores content under its digest only, not at ${JSON.stringify(location)}`)
    const digest = `sha256:${blob[1]}` as ContentDigest
    const bytes = typeof source === 'string' ? undefined : await collect(source)
    const size = bytes ? bytes.length : (await stat(source as string)).size
    const body = (start: number) => (bytes ? bytes.subarray(start) : size - start === 0 ? '' : createReadStream(source as string, { start }))
    if (await this.direct.upload(digest, size, () => body(0), options)) return { location, size, digest }
    let sent = 0
    await withRetry(
      async (attempt) => {
        // After a dropped connection, the server says how much of this blob it already holds.
        const start = attempt === 1 ? 0 : await this.offset(location)
        if (start < 0) {
          sent = size
          return
        }
        // Every byte arrived but the server is still storing them: ask again after a pause.
        if (start >= size && size > 0) throw Object.assign(new Error(`the server is still storing ${location}`), { code: 'ECONNRESET' })
        const response = await this.client.send('PUT', `/v1/blobs/${location}`, {
          raw: body(start),
          signal: options.signal,
          slow: true,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(size - start),
            ...(start > 0 ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
          },
        })
        if (response.statusCode !== 200 && response.statusCode !== 201) await this.client.fail(response, `upload of ${location}`)
        await response.body.dump()
        sent = size
        options.onProgress?.({ bytes: size, total: size })
      },
      { attempts: 8, signal: options.signal, retryable: (error) => isTransientNetworkError(error) || (error as { code?: string }).code === 'BACKEND_UNAVAILABLE' },
    )
    return { location, size: sent, digest }
  }

  /** Bytes of `location` the server holds from an unfinished upload; -1 when the blob is stored. */
  private async offset(location: string): Promise<number> {
    const response = await this.client.send('HEAD', `/v1/blobs/${location}`)
    await response.body.dump()
    if (response.statusCode === 200) return -1
    const offset = Number(response.headers['upload-offset'] ?? 0)
    return Number.isSafeInteger(offset) && offset >= 0 ? offset : 0
  }

  async stat(location: string): Promise<StorageObjectInfo | null> {
    if (!BLOB.test(location)) return null
    const response = await this.client.send('HEAD', `/v1/blobs/${location}`)
    await response.body.dump()
    if (response.statusCode === 404) return null
    if (response.statusCode !== 200) await this.client.fail(response, `HEAD ${location}`)
    return { location, size: Number(response.headers['content-length']) }
  }

  download(_location: string, _destPath: string): Promise<DownloadResult> {
    return Promise.reject(new UnsupportedOperationError(READ_THROUGH_A_VERSION))
  }

  // biome-ignore lint/correctness/useYield: refuses before reading
  async *open(_location: string): AsyncIterable<Uint8Array> {
    throw new UnsupportedOperationError(READ_THROUGH_A_VERSION)
  }

  delete(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError('content on an asset server is removed by its gc'))
  }

  // biome-ignore lint/correctness/useYield: refuses before listing
  async *list(_prefix: string): AsyncIterable<StorageObjectInfo> {
    throw new UnsupportedOperationError('an asset server does not list its store')
  }

  scopedTo(asset: { key: string; version: string }): Storage {
    return new VersionContent(this, this.client, asset)
  }

  async close(): Promise<void> {
    await this.client.close()
  }
}

/** The content of one version, read through the server, which checks the token may read it. */
class VersionContent implements Storage {
  readonly name = 'remote'
  readonly capabilities = CAPABILITIES

  constructor(
    private readonly store: RemoteStorage,
    private readonly client: ServerClient,
    private readonly asset: { key: string; version: string },
  ) {}

  private path(): string {
    return keyPath('/v1/content', this.asset.key)
  }

  async stat(location: string): Promise<StorageObjectInfo | null> {
    const response = await this.client.send('HEAD', this.path(), { query: { ref: this.asset.version, location } })
    await response.body.dump()
    if (response.statusCode === 404) return null
    if (response.statusCode !== 200) await this.client.fail(response, `HEAD ${this.asset.key}@${this.asset.version}`)
    return { location, size: Number(response.headers['content-length']), etag: response.headers.etag as string | undefined }
  }

  async *open(location: string, options: OpenOptions = {}): AsyncIterable<Uint8Array> {
    const start = options.start ?? 0
    const range = start > 0 || options.end !== undefined ? `bytes=${start}-${options.end === undefined ? '' : options.end - 1}` : undefined
    if (options.end !== undefined && options.end <= start) return
    const response = await this.client.send('GET', this.path(), {
      query: { ref: this.asset.version, location },
      signal: options.signal,
      headers: range ? { range } : {},
    })
    if (response.statusCode === 404) {
      await response.body.dump()
      throw new NotFoundError(`${location} of ${this.asset.key}@${this.asset.version} is not on the server`)
    }
    if (response.statusCode !== 200 && response.statusCode !== 206) await this.client.fail(response, `GET ${this.asset.key}@${this.asset.version}`)
    if (range && response.statusCode !== 206 && start > 0) {
      await response.body.dump()
      throw new InvalidInputError('the server ignored the range asked for')
    }
    yield* response.body as AsyncIterable<Uint8Array>
  }

  async download(location: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const direct = await this.store.direct.download(this.asset, location, destPath, options)
    if (direct !== undefined) return direct
    // Through the server: parallel ranged GETs, journalled, the digest checked (ranged-content.ts).
    const target = { path: this.path(), query: { ref: this.asset.version, location }, name: `${this.asset.key}@${this.asset.version}:${location}` }
    return downloadContent(this.client, target, destPath, this.store.ranged, options)
  }

  upload(location: string, source: string | AsyncIterable<Uint8Array>, options?: UploadOptions): Promise<UploadResult> {
    return this.store.upload(location, source, options)
  }

  delete(): Promise<void> {
    return this.store.delete()
  }

  list(prefix: string): AsyncIterable<StorageObjectInfo> {
    return this.store.list(prefix)
  }

  async close(): Promise<void> {}
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

