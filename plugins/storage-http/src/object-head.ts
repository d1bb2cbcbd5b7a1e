import { statusError } from './http-failure.js'
import type { HttpTransport } from './http-transport.js'
import { describeRequest } from './object-url.js'
import { header } from './range-reader.js'

/** What a HEAD says about an object. */
export interface ObjectHead {
  /** Content-Length, when the server gave one. */
  size?: number
  etag?: string
  lastModified?: Date
  /** A strong ETag, else Last-Modified: what pins ranges to one version (If-Range). */
  validator?: string
  /** The server said `Accept-Ranges: bytes`. */
  ranges: boolean
}

/** HEAD of the object at `url`; null when there is none (404, 410, or a folder). */
export async function headObject(transport: HttpTransport, url: URL): Promise<ObjectHead | null> {
  const response = await transport.sendRetrying(() => ({ method: 'HEAD', url, followRedirects: true }))
  await response.body.dump()
  if (response.status === 404 || response.status === 410 || isFolderRedirect(url, response.url)) return null
  if (response.status !== 200) throw statusError(response.status, describeRequest('HEAD', url))
  const length = header(response, 'content-length')
  const etag = header(response, 'etag')
  const modified = header(response, 'last-modified')
  const head: ObjectHead = { ranges: /\bbytes\b/i.test(header(response, 'accept-ranges') ?? '') }
  if (length !== undefined && /^\d+$/.test(length)) head.size = Number(length)
  if (etag !== undefined) head.etag = etag
  if (modified !== undefined && !Number.isNaN(Date.parse(modified))) head.lastModified = new Date(modified)
  const validator = etag !== undefined && !etag.startsWith('W/') ? etag : modified
  if (validator !== undefined) head.validator = validator
  return head
}

/** A server redirects `a/b` to `a/b/` when it is a folder: there is no object at the location. */
export function isFolderRedirect(asked: URL, answered: URL): boolean {
  return answered.origin === asked.origin && answered.pathname === `${asked.pathname}/`
}
