import { stat } from 'node:fs/promises'
import { assertDigest, type ContentDigest, type DownloadOptions, type DownloadResult, NotFoundError, rangedDownload } from '@assets/core'
import type { HttpTransport } from './http-transport.js'
import { headObject } from './object-head.js'
import { describeRequest } from './object-url.js'
import { type RangeAnswer, type ReaderSettings, readObjectRange } from './range-reader.js'

export interface HttpDownloadOptions extends DownloadOptions {
  /**
   * The digest the whole file must have: checked once the last byte is written (IntegrityError
   * on a mismatch). On a resumed download the part already on disk is hashed too.
   */
  digest?: ContentDigest
  /**
   * A download that comes as one stream (a small object, or a server without ranges) of at
   * least this many bytes is hashed on a worker thread. Off by default (`Infinity`): a worker
   * pays only where a core is free. Downloads in parallel ranges always hash on a worker.
   */
  hashOffThreadBytes?: number
  /**
   * fsync the file before returning (default false). The manager verifies a download's digest
   * before using it and its cache re-verifies damaged entries, so like curl and Pooch the
   * default leaves flushing to the OS; pass true where the file must survive a power cut.
   */
  fsync?: boolean
}

export interface DownloadSettings extends ReaderSettings {
  /** Bytes per ranged GET, and GETs in flight, for objects larger than one range. */
  rangeSize: number
  rangeConcurrency: number
  /** Where range journals are kept (what a crashed download resumes from). */
  journalDir: string
}

export interface DownloadTarget {
  url: URL
  location: string
}

/** The first answer of a fresh download, read only by the range that starts where it does. */
interface FirstAnswer {
  chunks: AsyncIterator<Buffer>
  next: IteratorResult<Buffer>
  stop: AbortController
  used: boolean
}

/**
 * Writes the object to `destPath` with core's ranged download. A fresh download sends one plain
 * GET, as curl does; its answer says the size, the validator (strong ETag, else Last-Modified)
 * and whether the server takes ranges. An object larger than one range then comes as parallel
 * ranged GETs pinned to the validator with If-Range, journalled, written at their offsets and
 * hashed on a worker thread, the first answer serving the first range; a smaller one, or one
 * from a server without ranges or validator, comes whole from that first answer. A resumed
 * download starts with a HEAD and asks only for what the file lacks.
 */
export async function downloadObject(
  transport: HttpTransport,
  settings: DownloadSettings,
  target: DownloadTarget,
  destPath: string,
  options: HttpDownloadOptions = {},
): Promise<DownloadResult> {
  options.signal?.throwIfAborted()
  const what = describeRequest('GET', target.url)
  // What the server says comes before the file is touched: a missing object leaves it alone.
  const partial = options.resume === true ? await fileSize(destPath) : 0
  let head: RangeAnswer
  let first: FirstAnswer | undefined
  if (partial > 0) {
    const found = await headObject(transport, target.url)
    if (found === null) throw new NotFoundError(`http: no object at ${what}`)
    head = { total: found.size, validator: found.validator, ranges: found.ranges }
  } else {
    const opened = await firstAnswer(transport, settings, target.url, what, options.signal)
    first = opened
    head = opened.answer
  }
  const { validator, ranges } = head
  const read = (start: number, end: number | undefined, signal: AbortSignal): AsyncIterable<Buffer> => {
    if (first !== undefined && !first.used && start === 0) {
      first.used = true
      // A range that ends where the object does reads the answer to its end, so that its
      // connection goes back to the pool; any other stops early and drops it.
      return fromFirst(first, end === head.total ? undefined : end, signal)
    }
    // Without ranges, a read from the start asks for the whole object (a 200), as curl does.
    return readObjectRange(transport, settings, target.url, what, { start, end: ranges || start > 0 ? end : undefined, signal, validator })
  }
  try {
    const result = await rangedDownload(
      { name: what, size: head.total, version: validator, ranges },
      read,
      destPath,
      {
        rangeSize: settings.rangeSize,
        concurrency: settings.rangeConcurrency,
        journalDir: settings.journalDir,
        fsync: options.fsync ?? false,
        workerHashBytes: options.hashOffThreadBytes,
        label: 'http',
      },
      options,
    )
    if (options.digest !== undefined) assertDigest(`http: download of ${target.location}`, result, { digest: options.digest })
    return { size: result.size, digest: result.digest }
  } finally {
    if (first !== undefined && !first.used) {
      first.stop.abort()
      await first.chunks.return?.(undefined).catch(() => {})
    }
  }
}

async function firstAnswer(
  transport: HttpTransport,
  settings: DownloadSettings,
  url: URL,
  what: string,
  signal: AbortSignal | undefined,
): Promise<FirstAnswer & { answer: RangeAnswer }> {
  const stop = new AbortController()
  const forward = () => stop.abort(signal?.reason)
  signal?.addEventListener('abort', forward, { once: true })
  let answer: RangeAnswer = { ranges: false }
  const chunks = readObjectRange(transport, settings, url, what, {
    start: 0,
    signal: stop.signal,
    onAnswer: (given) => {
      answer = given
    },
  })[Symbol.asyncIterator]()
  try {
    const next = await chunks.next()
    return { chunks, next, stop, used: false, answer }
  } catch (error) {
    signal?.throwIfAborted()
    throw error
  } finally {
    signal?.removeEventListener('abort', forward)
  }
}

/** The first answer's bytes up to `end`; the rest of its body is dropped with its connection. */
async function* fromFirst(first: FirstAnswer, end: number | undefined, signal: AbortSignal): AsyncGenerator<Buffer> {
  const stop = () => first.stop.abort(signal.reason)
  signal.addEventListener('abort', stop, { once: true })
  let position = 0
  try {
    for (let next = first.next; next.done !== true; next = await first.chunks.next()) {
      const chunk = end !== undefined && position + next.value.length > end ? next.value.subarray(0, end - position) : next.value
      position += chunk.length
      yield chunk
      if (end !== undefined && position >= end) return
    }
  } finally {
    signal.removeEventListener('abort', stop)
    if (end !== undefined && position >= end) first.stop.abort()
    await first.chunks.return?.(undefined).catch(() => {})
  }
}

async function fileSize(path: string): Promise<number> {
  return stat(path).then(
    (s) => (s.isFile() ? s.size : 0),
    () => 0,
  )
}
