import { hubHttpError } from './hub-errors.js'
import { authorization, type HubTarget, resolveUrl } from './hub-target.js'

/** An answer of the hub's file endpoint, after following its redirect to the LFS CDN. */
export interface ResolvedFile {
  /** The final response, body unread: 200, 206, or 416 (the range starts past the end). */
  response: Response
  /** Size of the whole file, when the hub said it. */
  totalSize?: number
  /** X-Repo-Commit: the commit the revision pointed at. */
  commit?: string
  /** The hub's digest of the file: sha256 hex for LFS files (X-Linked-ETag), the git blob id otherwise. */
  etag?: string
  lfs: boolean
  /**
   * Set when `followLfs` declined to follow the hub's redirect to the CDN: the URL the file's
   * bytes are at (presigned, content-addressed). `response` is then the redirect, body drained.
   */
  cdnUrl?: URL
}

export interface ResolveOptions {
  method?: 'GET' | 'HEAD'
  /** First byte (inclusive) and last byte (inclusive) of an HTTP Range. */
  range?: { start: number; last?: number }
  signal?: AbortSignal
  /**
   * Told of the hub's redirect of an LFS file to the CDN (its size, from X-Linked-Size) before
   * it is followed; false stops there, so that the caller fetches the CDN itself (in ranges).
   */
  followLfs?: (lfs: { size?: number }) => boolean
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * `GET /{repo}/resolve/{revision}/{path}` with an optional Range. Redirects are followed by hand
 * so that the LFS headers of the hub's own answer are kept, and so that the token is never sent
 * to another origin (the CDN's presigned URLs refuse it anyway).
 */
export async function requestResolve(target: HubTarget, revision: string, path: string, options: ResolveOptions = {}): Promise<ResolvedFile> {
  let url = new URL(resolveUrl(target, revision, path))
  const hubOrigin = url.origin
  const range: Record<string, string> = options.range === undefined ? {} : { Range: `bytes=${options.range.start}-${options.range.last ?? ''}` }
  let linkedEtag: string | undefined
  let linkedSize: string | undefined
  let commit: string | undefined
  let etag: string | undefined
  for (let hop = 0; ; hop++) {
    // identity: byte ranges and sizes must be of the file itself, not of a compressed form of it.
    const headers = { ...range, 'Accept-Encoding': 'identity', ...(url.origin === hubOrigin ? authorization(target) : {}) }
    const response = await fetch(url, { method: options.method ?? 'GET', headers, redirect: 'manual', signal: options.signal })
    linkedEtag ??= response.headers.get('X-Linked-ETag') ?? undefined
    linkedSize ??= response.headers.get('X-Linked-Size') ?? undefined
    commit ??= response.headers.get('X-Repo-Commit') ?? undefined
    etag ??= response.headers.get('ETag') ?? undefined
    if (REDIRECTS.has(response.status) && hop < 5) {
      const location = response.headers.get('Location')
      await response.body?.cancel()
      if (location === null) throw new Error(`the hub answered ${response.status} without a Location`)
      const next = new URL(location, url)
      // A hub on https never sends the bytes on over plain http (a CDN misconfigured or tampered with).
      if (url.protocol === 'https:' && next.protocol !== 'https:') throw new Error(`the hub redirected ${url.origin} to ${next.origin}, which is not https`)
      if (linkedEtag !== undefined && options.followLfs?.({ size: sizeOf(linkedSize) }) === false) {
        return { response, totalSize: sizeOf(linkedSize), commit, etag: unquote(linkedEtag), lfs: true, cdnUrl: next }
      }
      url = next
      continue
    }
    if (!response.ok && response.status !== 416) throw await hubHttpError(response)
    return {
      response,
      totalSize: totalSizeOf(response, linkedSize),
      commit,
      etag: unquote(linkedEtag ?? etag),
      lfs: linkedEtag !== undefined,
    }
  }
}

function totalSizeOf(response: Response, linkedSize: string | undefined): number | undefined {
  const contentRange = response.headers.get('Content-Range')
  const fromRange = contentRange === null ? undefined : Number(contentRange.split('/').pop())
  if (fromRange !== undefined && Number.isSafeInteger(fromRange)) return fromRange
  if (linkedSize !== undefined && Number.isSafeInteger(Number(linkedSize))) return Number(linkedSize)
  const length = response.headers.get('Content-Length')
  const encoded = (response.headers.get('Content-Encoding') ?? 'identity') !== 'identity'
  return response.status === 200 && length !== null && !encoded ? Number(length) : undefined
}

function sizeOf(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^W\//, '').replace(/^"|"$/g, '')
}
