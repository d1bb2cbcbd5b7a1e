import { rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  BackendUnavailableError,
  backoffDelay,
  type DownloadOptions,
  type DownloadResult,
  digestHex,
  IntegrityError,
  isRetryableStatus,
  isTransientNetworkError,
  NotFoundError,
  type RangeReader,
  rangedDownload,
  withRetry,
} from '@assets/core'
import type { Dispatcher } from 'undici'
import type { ServerClient } from './server-client.js'

/** How the remote storage splits a download into ranged GETs (options rangeSize, rangeConcurrency, journalDir). */
export interface RangedContentSettings {
  /** Bytes per ranged GET; a blob of one range comes with one request. */
  rangeSize: number
  /** Ranged GETs in flight per download. */
  rangeConcurrency: number
  /** Folder of the range journals, what an interrupted download resumes from. */
  journalDir: string
}

export const DEFAULT_RANGE_SIZE = 16 * 1024 * 1024
export const DEFAULT_RANGE_CONCURRENCY = 8

export function rangedContentSettings(
  options: { rangeSize?: number; rangeConcurrency?: number; journalDir?: string },
  context: { cacheDir?: string } = {},
): RangedContentSettings {
  return {
    rangeSize: options.rangeSize ?? DEFAULT_RANGE_SIZE,
    rangeConcurrency: options.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY,
    journalDir: options.journalDir ?? join(context.cacheDir ?? join(tmpdir(), 'assets-cache'), 'remote-journals'),
  }
}

/** One object of a version: `GET <path>?ref=<version>&location=<location>`. */
export interface ContentTarget {
  path: string
  query: { ref: string; location: string }
  /** Names it in messages and journals (no token). */
  name: string
}

/** Tries of one range without a byte of progress; a try that moved bytes resets the count. */
const RANGE_RETRIES = 5
const RETRY_BASE_MS = 200

/** What the server said of the object: its size and its ETag (the content digest, quoted). */
interface ContentHead {
  size: number
  etag?: string
  /** false: the server sent the whole object to a ranged GET. */
  ranges?: boolean
}

/** The first answer of a fresh download, whose body is the object's first range. */
interface FirstAnswer {
  response: Dispatcher.ResponseData
  used: boolean
}

/**
 * Downloads one object of a version with core's ranged download. A fresh download first asks
 * for the first `rangeSize` bytes: the answer says the size and the ETag (the content digest),
 * and its body is the first range, so a small blob costs one request. A larger one then comes
 * as parallel ranged GETs, each pinned with `If-Match` to that ETag, written at its offset and
 * journalled, so that a download cut part-way (a crash, a signal) resumes with only the ranges
 * missing. Bytes this call vouches for are checked against the digest before returning.
 */
export async function downloadContent(
  client: ServerClient,
  target: ContentTarget,
  destPath: string,
  settings: RangedContentSettings,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  // A failed range ends the attempt; the next resumes from the journal (or the prefix).
  let resume = options.resume === true
  return withRetry(
    async (attempt) => {
      if (attempt > 1) resume = true
      return downloadOnce(client, target, destPath, settings, { ...options, resume })
    },
    { attempts: 4, signal: options.signal, retryable: isRetryable },
  )
}

async function downloadOnce(client: ServerClient, target: ContentTarget, destPath: string, settings: RangedContentSettings, options: DownloadOptions): Promise<DownloadResult> {
  options.signal?.throwIfAborted()
  const partial = options.resume === true ? await stat(destPath).then((s) => (s.isFile() ? s.size : 0), () => 0) : 0
  let first: FirstAnswer | undefined
  let head: ContentHead
  if (partial > 0) {
    head = await headContent(client, target, options.signal)
  } else {
    const opened = await firstRange(client, target, settings.rangeSize, options.signal)
    head = opened.head
    first = opened.first
  }
  const read: RangeReader = (start, end, signal) => {
    if (first !== undefined && !first.used && start === 0) {
      first.used = true
      return fromFirst(client, target, head, first, end, signal)
    }
    return readContent(client, target, head, start, end, signal)
  }
  try {
    const result = await rangedDownload(
      // Without an ETag (a reference's content), the bytes come as one stream, not journalled.
      { name: target.name, size: head.size, version: head.etag, ranges: head.ranges },
      read,
      destPath,
      { rangeSize: settings.rangeSize, concurrency: settings.rangeConcurrency, journalDir: settings.journalDir, fsync: options.deferSync !== true, label: 'remote' },
      options,
    )
    // The bytes of this call, or of ranges our journal vouched for, must be the digest the
    // server names; a caller's partial file is the caller's to check (the Storage contract).
    const expected = digestOf(target, head)
    if (result.fresh && expected !== undefined && digestHex(result.digest) !== expected) {
      await rm(destPath, { force: true })
      throw new IntegrityError(`remote: the bytes received for ${target.name} do not match its digest sha256:${expected}`)
    }
    return { size: result.size, digest: result.digest }
  } finally {
    if (first !== undefined && !first.used) first.response.body.destroy()
  }
}

/** The digest the bytes must have: named by a blob's location, else the ETag. */
function digestOf(target: ContentTarget, head: ContentHead): string | undefined {
  const blob = /^blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(target.query.location)
  if (blob) return blob[1]
  return /^"sha256:([0-9a-f]{64})"$/.exec(head.etag ?? '')?.[1]
}

/** A dropped connection or an unavailable server or store: another attempt may succeed. */
export function isRetryable(error: unknown): boolean {
  return isTransientNetworkError(error) || (error as { code?: string }).code === 'BACKEND_UNAVAILABLE'
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** A strong ETag only: a weak one does not pin bytes. */
function strongEtag(response: Dispatcher.ResponseData): string | undefined {
  const etag = header(response, 'etag')
  return etag !== undefined && !etag.startsWith('W/') ? etag : undefined
}

async function refuse(client: ServerClient, response: Dispatcher.ResponseData, target: ContentTarget): Promise<never> {
  if (response.statusCode === 404) {
    await response.body.dump()
    throw new NotFoundError(`${target.name} is not on the server`)
  }
  if (response.statusCode === 412) {
    await response.body.dump()
    throw new IntegrityError(`remote: ${target.name} is no longer the content it was when its download started`)
  }
  return client.fail(response, `GET ${target.name}`)
}

async function headContent(client: ServerClient, target: ContentTarget, signal: AbortSignal | undefined): Promise<ContentHead> {
  const response = await client.send('HEAD', target.path, { query: target.query, signal })
  if (response.statusCode !== 200) await refuse(client, response, target)
  await response.body.dump()
  return { size: Number(header(response, 'content-length')), etag: strongEtag(response) }
}

/** The GET of the first `rangeSize` bytes; an empty object has no range (416) and no body. */
async function firstRange(client: ServerClient, target: ContentTarget, rangeSize: number, signal: AbortSignal | undefined): Promise<{ head: ContentHead; first?: FirstAnswer }> {
  const response = await client.send('GET', target.path, { query: target.query, signal, headers: { range: `bytes=0-${rangeSize - 1}` } })
  const etag = strongEtag(response)
  if (response.statusCode === 416) {
    await response.body.dump()
    return { head: { size: Number(/\/(\d+)$/.exec(header(response, 'content-range') ?? '')?.[1] ?? 0), etag } }
  }
  if (response.statusCode === 206) {
    const total = /^bytes 0-\d+\/(\d+)$/.exec(header(response, 'content-range') ?? '')?.[1]
    if (total === undefined) {
      response.body.destroy()
      throw new BackendUnavailableError('asset server', `GET ${target.name}: the server answered a byte range other than the one asked for`)
    }
    return { head: { size: Number(total), etag }, first: { response, used: false } }
  }
  // A server (or proxy) without ranges sends the whole object: one stream, as before.
  if (response.statusCode === 200) return { head: { size: Number(header(response, 'content-length')), etag, ranges: false }, first: { response, used: false } }
  if (isRetryableStatus(response.statusCode)) {
    await response.body.dump()
    throw new BackendUnavailableError('asset server', `GET ${target.name}: the server answered ${response.statusCode}`)
  }
  return refuse(client, response, target)
}

/** The first answer's body up to `end`; the rest (a cut connection, a longer span) with ranged GETs. */
async function* fromFirst(
  client: ServerClient,
  target: ContentTarget,
  head: ContentHead,
  first: FirstAnswer,
  end: number | undefined,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const body = first.response.body
  const stop = () => body.destroy()
  signal.addEventListener('abort', stop, { once: true })
  let position = 0
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        // A body read to its end keeps its connection for the next range; one cut short drops it.
        if (end !== undefined && position + chunk.length > end) {
          const piece = chunk.subarray(0, end - position)
          position += piece.length
          if (piece.length > 0) yield piece
          return
        }
        position += chunk.length
        yield chunk
      }
    } catch (error) {
      signal.throwIfAborted()
      if (!isRetryable(error)) throw error
    } finally {
      body.destroy()
    }
    // The rest of the span: `ref` names the version, and its ETag (when there is one) pins the bytes.
    if (position < (end ?? head.size)) yield* readContent(client, target, head, position, end, signal)
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

/**
 * Streams bytes [start, end) of the pinned version: `Range` with `If-Match` on its ETag, and a
 * connection that drops mid-body is reopened from the next missing byte. The ETag of every
 * answer is compared too: a server that ignores If-Match cannot splice two contents.
 */
async function* readContent(
  client: ServerClient,
  target: ContentTarget,
  head: ContentHead,
  start: number,
  end: number | undefined,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const last = end ?? head.size
  let offset = start
  let stalled = 0
  for (;;) {
    if (offset >= last) return
    let progressed = false
    try {
      const headers: Record<string, string> = { range: `bytes=${offset}-${last - 1}` }
      if (head.etag !== undefined) headers['if-match'] = head.etag
      const response = await client.send('GET', target.path, { query: target.query, signal, headers })
      if (response.statusCode !== 206) {
        if (isRetryableStatus(response.statusCode)) {
          await response.body.dump()
          throw new BackendUnavailableError('asset server', `GET ${target.name}: the server answered ${response.statusCode}`)
        }
        if (response.statusCode === 200) {
          response.body.destroy()
          throw new BackendUnavailableError('asset server', `GET ${target.name}: the server ignored the byte range asked for`)
        }
        await refuse(client, response, target)
      }
      if (strongEtag(response) !== head.etag) {
        response.body.destroy()
        throw new IntegrityError(`remote: ${target.name} changed while it was being read`)
      }
      const answered = /^bytes (\d+)-\d+\/\d+$/.exec(header(response, 'content-range') ?? '')?.[1]
      if (answered === undefined || Number(answered) !== offset) {
        response.body.destroy()
        throw new BackendUnavailableError('asset server', `GET ${target.name}: the server answered a byte range other than the one asked for`)
      }
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (chunk.length === 0) continue
        offset += chunk.length
        progressed = true
        yield chunk
      }
      if (offset >= last) return
      throw Object.assign(new Error(`GET ${target.name}: the answer ended at byte ${offset} of ${last}`), { code: 'ECONNRESET' })
    } catch (error) {
      signal.throwIfAborted()
      if (!isRetryable(error)) throw error
      stalled = progressed ? 0 : stalled + 1
      if (stalled > RANGE_RETRIES) throw error
      if (stalled > 0) await sleep(backoffDelay(stalled, RETRY_BASE_MS, 10_000), undefined, { signal })
    }
  }
}
