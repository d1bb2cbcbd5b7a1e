import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import {
  assertDigest,
  type ContentDigest,
  IntegrityError,
  InvalidInputError,
  NotFoundError,
  toContentDigest,
  type UploadOptions,
  type UploadResult,
} from '@assets/core'
import { networkError, statusError } from './http-failure.js'
import type { HttpRequest, HttpTransport } from './http-transport.js'
import { describeRequest, objectUrl } from './object-url.js'

/**
 * PUTs the bytes to a temporary name beside `location`, hashing them on the way, checks digest
 * and size, then MOVEs the temporary object into place: readers see the old object or the new
 * one, never a part, and refused bytes never reach `location`. The temporary name is an
 * ordinary location (not a dot file, which WebDAV listings hide), so `gc` can find one left by a crash.
 */
export async function uploadObject(
  transport: HttpTransport,
  base: URL,
  location: string,
  source: string | AsyncIterable<Uint8Array>,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const target = objectUrl(base, location)
  const temporary = objectUrl(base, `${location}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
  const what = describeRequest('PUT', target)
  options.signal?.throwIfAborted()
  const total = typeof source === 'string' ? await sourceFileSize(source) : options.size
  let written: { digest: ContentDigest; size: number } | undefined
  try {
    const put = (body: AsyncIterable<Uint8Array>, tap: HashingTap): HttpRequest => ({
      method: 'PUT',
      url: temporary,
      // A file's length is known; a stream is sent chunked, so a wrong `size` is ours to catch.
      headers: typeof source === 'string' ? { 'content-length': String(total) } : ({} as Record<string, string>),
      body: Readable.from(tap.pass(body), { objectMode: false }),
      signal: options.signal,
    })
    let tap = new HashingTap(total, options.onProgress)
    // A file can be read again for another try; a stream cannot.
    const response =
      typeof source === 'string'
        ? await transport.sendRetrying(() => {
            tap = new HashingTap(total, options.onProgress)
            return put(createReadStream(source, { highWaterMark: 1 << 20 }), tap)
          })
        : await transport.send(put(source, tap))
    await response.body.dump()
    if (response.status < 200 || response.status > 299) throw statusError(response.status, what)
    written = tap.result()
    checkWritten(location, written, options)
    await moveObject(transport, temporary, target)
  } catch (error) {
    // Nothing is left behind on purpose; the original failure is the one worth reporting.
    await deleteObject(transport, temporary).catch(() => {})
    throw networkError(error, what)
  }
  return { location, size: written.size, digest: written.digest }
}

/** WebDAV MOVE with Overwrite: a rename on the server, atomic for readers. */
export async function moveObject(transport: HttpTransport, from: URL, to: URL): Promise<void> {
  const response = await transport.sendRetrying(() => ({ method: 'MOVE', url: from, headers: { destination: to.href, overwrite: 'T' } }))
  await response.body.dump()
  if (response.status === 404) throw new NotFoundError(`http: cannot move ${from.pathname}: no such object`)
  if (response.status < 200 || response.status > 299) throw statusError(response.status, `${describeRequest('MOVE', from)} to ${to.pathname}`)
}

/** DELETE; an object that is already gone is not an error. */
export async function deleteObject(transport: HttpTransport, url: URL): Promise<void> {
  const response = await transport.sendRetrying(() => ({ method: 'DELETE', url }))
  await response.body.dump()
  if (response.status === 404 || response.status === 410) return
  if (response.status < 200 || response.status > 299) throw statusError(response.status, describeRequest('DELETE', url))
}

/** Hashes and counts the bytes of one try as they are sent. */
class HashingTap {
  readonly #hash = createHash('sha256')
  #size = 0

  constructor(
    private readonly total: number | undefined,
    private readonly onProgress: UploadOptions['onProgress'],
  ) {}

  async *pass(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.#hash.update(chunk)
      this.#size += chunk.length
      this.onProgress?.({ bytes: this.#size, total: this.total })
      yield chunk
    }
  }

  result(): { digest: ContentDigest; size: number } {
    return { digest: toContentDigest(this.#hash), size: this.#size }
  }
}

function checkWritten(location: string, written: { digest: ContentDigest; size: number }, expected: UploadOptions): void {
  if (expected.digest !== undefined) {
    assertDigest(`http: upload to ${location}`, written, { digest: expected.digest, size: expected.size })
  } else if (expected.size !== undefined && written.size !== expected.size) {
    throw new IntegrityError(`http: upload to ${location}: expected ${expected.size} bytes, got ${written.size}`)
  }
}

async function sourceFileSize(source: string): Promise<number> {
  const info = await stat(source).catch(() => undefined)
  if (info?.isFile()) return info.size
  throw new InvalidInputError(`http: upload source ${source} is not a readable file`)
}
