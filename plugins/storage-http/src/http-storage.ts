import {
  BackendUnavailableError,
  type DownloadResult,
  InvalidInputError,
  NotFoundError,
  type OpenOptions,
  type Storage,
  type StorageCapabilities,
  type StorageObjectInfo,
  UnsupportedOperationError,
  type UploadOptions,
  type UploadResult,
} from '@assets/core'
import type { HttpStorageOptions } from './http-options.js'
import { type HttpSettings, type HttpStorageContext, resolveSettings } from './http-settings.js'
import { HttpTransport } from './http-transport.js'
import { describeRequest, objectUrl } from './object-url.js'
import { headObject } from './object-head.js'
import { readObjectRange } from './range-reader.js'
import { downloadObject, type HttpDownloadOptions } from './resumable-download.js'
import { listObjects } from './webdav-listing.js'
import { deleteObject, moveObject, uploadObject } from './webdav-upload.js'

/**
 * Objects behind an HTTP(S) base URL: read with GET/HEAD and byte ranges from any web server;
 * written, moved, deleted and listed with WebDAV (PUT, MOVE, DELETE, PROPFIND) unless the
 * server is declared read-only.
 */
export class HttpStorage implements Storage {
  readonly name = 'http'
  readonly capabilities: StorageCapabilities
  readonly #settings: HttpSettings
  readonly #transport: HttpTransport

  constructor(options: HttpStorageOptions, context: HttpStorageContext = {}) {
    this.#settings = resolveSettings(options, context)
    this.#transport = new HttpTransport(this.#settings)
    const writable = !this.#settings.readOnly
    this.capabilities = Object.freeze({
      write: writable,
      delete: writable,
      list: this.#settings.list,
      range: true,
      multipart: false,
      resumableUpload: false,
      presign: false,
      // MOVE renames on the server (nginx, Apache mod_dav): one request, atomic for readers.
      atomicMove: writable,
    })
  }

  /** The base URL every location is resolved under (no credentials in it). */
  get baseUrl(): string {
    return this.#settings.base.href
  }

  async upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<UploadResult> {
    this.#requireWritable(`upload to ${location}`)
    return uploadObject(this.#transport, this.#settings.base, location, source, options)
  }

  async download(location: string, destPath: string, options: HttpDownloadOptions = {}): Promise<DownloadResult> {
    const url = objectUrl(this.#settings.base, location)
    return await downloadObject(this.#transport, this.#settings, { url, location }, destPath, options)
  }

  open(location: string, options: OpenOptions = {}): AsyncIterable<Uint8Array> {
    return this.#read(location, options)
  }

  async stat(location: string): Promise<StorageObjectInfo | null> {
    const url = objectUrl(this.#settings.base, location)
    const head = await headObject(this.#transport, url)
    if (head === null) return null
    if (head.size === undefined) {
      throw new BackendUnavailableError('http', `${describeRequest('HEAD', url)}: the server did not report the object's size`)
    }
    const info: StorageObjectInfo = { location, size: head.size }
    if (head.etag !== undefined) info.etag = head.etag
    if (head.lastModified !== undefined) info.lastModified = head.lastModified
    return info
  }

  async move(from: string, to: string): Promise<void> {
    this.#requireWritable(`move of ${from}`)
    const source = objectUrl(this.#settings.base, from)
    const destination = objectUrl(this.#settings.base, to)
    if ((await this.stat(from)) === null) throw new NotFoundError(`http: cannot move ${from}: no such object`)
    await moveObject(this.#transport, source, destination)
  }

  async delete(location: string): Promise<void> {
    this.#requireWritable(`delete of ${location}`)
    await deleteObject(this.#transport, objectUrl(this.#settings.base, location))
  }

  list(prefix: string): AsyncIterable<StorageObjectInfo> {
    if (!this.#settings.list) {
      return refuse(new UnsupportedOperationError(`http: listing is off for ${this.#settings.base.origin} (list option); the server is not known to answer WebDAV PROPFIND`))
    }
    return listObjects(this.#transport, this.#settings.base, prefix, async (location) => (await this.stat(location))?.size)
  }

  async close(): Promise<void> {
    await this.#transport.close()
  }

  async *#read(location: string, options: OpenOptions): AsyncGenerator<Uint8Array> {
    const url = objectUrl(this.#settings.base, location)
    const start = checkOffset(location, 'start', options.start) ?? 0
    const end = checkOffset(location, 'end', options.end)
    if (end !== undefined && start > end) throw new InvalidInputError(`http: open ${location}: start (${start}) is after end (${end})`)
    options.signal?.throwIfAborted()
    if (end !== undefined && start === end) {
      // An empty range asks nothing of the server, but a missing object is still an error.
      if ((await this.stat(location)) === null) throw new NotFoundError(`http: no object at ${describeRequest('GET', url)}`)
      return
    }
    yield* readObjectRange(this.#transport, this.#settings, url, describeRequest('GET', url), { start, end, signal: options.signal })
  }

  #requireWritable(action: string): void {
    if (this.#settings.readOnly) {
      throw new UnsupportedOperationError(`http: ${action} refused: the server at ${this.#settings.base.origin} is declared read-only (readOnly option)`)
    }
  }
}

function checkOffset(location: string, name: 'start' | 'end', value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidInputError(`http: open ${location}: ${name} must be a non-negative integer, got ${value}`)
  return value
}

// biome-ignore lint/correctness/useYield: an iterable that fails when iterated, as list() must
async function* refuse(error: Error): AsyncGenerator<never> {
  throw error
}
