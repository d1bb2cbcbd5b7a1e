import { setTimeout as sleep } from 'node:timers/promises'
import { BackendUnavailableError, backoffDelay, IntegrityError, NotFoundError } from '@assets/core'
import { isAbortError, isRetryable, networkError, statusError } from './http-failure.js'
import type { HttpResponse, HttpTransport } from './http-transport.js'

export interface RangeRead {
  /** First byte, inclusive. */
  start: number
  /** Last byte, exclusive; the end of the object when absent. */
  end?: number
  signal?: AbortSignal
  /** Told the object's whole size when the first answer arrives. */
  onTotal?: (total: number) => void
  /** Told what the first answer says of the object: its size, its validator, whether ranges work. */
  onAnswer?: (answer: RangeAnswer) => void
  /**
   * The version the bytes must be of (a strong ETag or Last-Modified from a HEAD): sent as
   * If-Range from the first request on, so that parallel ranges cannot mix two versions.
   */
  validator?: string
}

export interface RangeAnswer {
  total?: number
  validator?: string
  /** The server answers byte ranges (a 206, or `Accept-Ranges: bytes`). */
  ranges: boolean
}

export interface ReaderSettings {
  retries: number
  retryBaseDelayMs: number
}

/**
 * Streams bytes [start, end) of the object at `url`. A connection that drops mid-body is
 * reopened from the next missing byte with `Range` and `If-Range` (the first answer's strong
 * ETag or Last-Modified), so a flaky link costs only the bytes in flight, and a change of the
 * object in between is an IntegrityError instead of a file spliced from two versions. Tries
 * without progress are limited by `retries`; each try that moved bytes resets the count.
 */
export async function* readObjectRange(transport: HttpTransport, settings: ReaderSettings, url: URL, what: string, read: RangeRead): AsyncGenerator<Buffer> {
  let offset = read.start
  let validator = read.validator
  let first = true
  let stalled = 0
  for (;;) {
    if (read.end !== undefined && offset >= read.end) return
    const range = offset > 0 || read.end !== undefined ? `bytes=${offset}-${read.end === undefined ? '' : read.end - 1}` : undefined
    const headers: Record<string, string> = {}
    if (range !== undefined) headers.range = range
    if (range !== undefined && validator !== undefined) headers['if-range'] = validator
    const response = await transport.sendRetrying(() => ({ method: 'GET', url, headers, signal: read.signal, followRedirects: true }))
    if (response.url.origin === url.origin && response.url.pathname === `${url.pathname}/`) {
      await response.body.dump()
      throw new NotFoundError(`http: no object at ${what} (it is a folder)`)
    }
    const current = validatorOf(response)
    if (response.status === 416) {
      await response.body.dump()
      if (!first) throw new IntegrityError(`http: ${what} changed while it was being read (it is now shorter)`)
      // Nothing at or after `start`: an empty read, as slicing past the end of an array is.
      const total = /\/(\d+)$/.exec(header(response, 'content-range') ?? '')?.[1]
      if (total !== undefined) read.onTotal?.(Number(total))
      read.onAnswer?.({ total: total === undefined ? undefined : Number(total), validator: current, ranges: true })
      return
    }
    // A retry mid-read must be of the same version: without a validator from the first answer,
    // or with another one now (a server or proxy that ignored If-Range), the bytes would be
    // spliced from two versions.
    if ((!first || read.validator !== undefined) && (validator === undefined || current !== validator)) {
      await response.body.dump()
      throw new IntegrityError(
        validator === undefined
          ? `http: ${what} was cut mid-read and the server gives no ETag or Last-Modified to resume it safely`
          : `http: ${what} changed while it was being read`,
      )
    }
    let skip = 0
    if (response.status === 206) {
      const answered = parseContentRange(header(response, 'content-range'))
      if (answered === undefined || answered.start !== offset) {
        await response.body.dump()
        throw new BackendUnavailableError('http', `${what}: the server answered a byte range other than the one asked for`)
      }
      if (first) {
        read.onTotal?.(answered.total)
        read.onAnswer?.({ total: answered.total, validator: current, ranges: true })
      }
    } else if (response.status === 200) {
      // The whole object although a range was asked: the server has no ranges (a new version
      // was refused above), so the bytes already read are skipped.
      skip = offset
      const length = header(response, 'content-length')
      if (first && length !== undefined) read.onTotal?.(Number(length))
      if (first) {
        const total = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined
        read.onAnswer?.({ total, validator: current, ranges: /\bbytes\b/i.test(header(response, 'accept-ranges') ?? '') })
      }
    } else {
      await response.body.dump()
      throw statusError(response.status, what)
    }
    if (first) validator ??= current
    first = false
    let wanted = read.end === undefined ? Number.POSITIVE_INFINITY : read.end - offset
    let progressed = false
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        let piece = chunk
        if (skip > 0) {
          if (piece.length <= skip) {
            skip -= piece.length
            continue
          }
          piece = piece.subarray(skip)
          skip = 0
        }
        if (piece.length > wanted) piece = piece.subarray(0, wanted)
        wanted -= piece.length
        offset += piece.length
        if (piece.length > 0) {
          progressed = true
          yield piece
        }
        if (wanted <= 0 && response.status === 200) break
      }
      return
    } catch (error) {
      read.signal?.throwIfAborted()
      if (isAbortError(error) || !isRetryable(error)) throw networkError(error, what)
      stalled = progressed ? 0 : stalled + 1
      if (stalled > settings.retries) throw networkError(error, what)
      if (stalled > 0) await sleep(backoffDelay(stalled, settings.retryBaseDelayMs, 10_000), undefined, { signal: read.signal })
    }
  }
}

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** A strong ETag, else Last-Modified: what `If-Range` may carry. */
function validatorOf(response: HttpResponse): string | undefined {
  const etag = header(response, 'etag')
  if (etag !== undefined && !etag.startsWith('W/')) return etag
  return header(response, 'last-modified')
}

function parseContentRange(value: string | undefined): { start: number; end: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value?.trim() ?? '')
  if (match === null) return undefined
  return { start: Number(match[1]), end: Number(match[2]) + 1, total: Number(match[3]) }
}
