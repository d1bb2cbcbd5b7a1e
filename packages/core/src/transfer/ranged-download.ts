import { type FileHandle, mkdir, open, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { DownloadOptions } from '../contracts/storage.js'
import type { ContentDigest } from '../digest.js'
import { IntegrityError } from '../errors/index.js'
import { type DownloadHash, type FillingSpan, SequentialHash } from './download-hash.js'
import { WorkerHash } from './ordered-hash-worker.js'
import { fileIdentity, type RangeIdentity, RangeJournalWriter, rangeJournalPath, readRangeJournal, removeRangeJournal, type Span } from './range-journal.js'
import { runPool } from './run-pool.js'

/** The object a ranged download fetches, as its backend described it (HEAD, a redirect's headers). */
export interface RangedObject {
  /** Names the object in messages and journals; never carries credentials (`s3://bucket/key`, a URL). */
  name: string
  /** Its size in bytes; undefined only when the server did not say (then one stream, to its end). */
  size?: number
  /**
   * What pins every range to one version of the object (an ETag, a strong validator, the LFS
   * sha256). Without it ranges are not fetched out of order and no journal is kept: a file with
   * holes could not be resumed safely.
   */
  version?: string
  /** false: the server does not answer byte ranges, so the object comes as one stream from its start. */
  ranges?: boolean
}

/**
 * Streams bytes [start, end) of the pinned version (end undefined: to the end of the object),
 * resuming a dropped connection itself where it can. It must fail rather than yield bytes of
 * another version; bytes beyond `end` are refused by the caller.
 */
export type RangeReader = (start: number, end: number | undefined, signal: AbortSignal) => AsyncIterable<Uint8Array>

export interface RangedDownloadSettings {
  /** Bytes per ranged request (8–16 MiB, as aria2c and hf_transfer use). */
  rangeSize: number
  /** Ranged requests in flight at once. */
  concurrency: number
  /** Folder of the range journals; without one, ranges are fetched in order only. */
  journalDir?: string
  /** fsync the file before returning (default false: the caller verifies the digest anyway). */
  fsync?: boolean
  /** A download written in order is hashed on a worker thread from this size (default never). */
  workerHashBytes?: number
  /** Prefix of messages, the plugin's name (`s3`, `http`). */
  label: string
}

export interface RangedDownloadResult {
  size: number
  /** sha256 of the whole file, resumed bytes included. */
  digest: ContentDigest
  /**
   * Every byte came from the source in this call or from ranges our journal vouched for, so the
   * digest says what the source holds. false: a partial file given as a prefix was kept as it
   * is (the Storage contract), and its bytes are the caller's to check.
   */
  fresh: boolean
  /** Bytes received from the source in this call. */
  fetched: number
}

/** Received chunks are gathered up to this size per span and written with one writev. */
const WRITE_BYTES = 1 << 20

/** What the destination already holds: spans from a range journal, or a prefix, or nothing. */
interface StartingPoint {
  have: Span[]
  /** The journal's spans were trusted (the file may have holes). */
  fromJournal: boolean
}

async function startingPoint(destPath: string, journalPath: string | null, identity: RangeIdentity | null, size: number | undefined, resume: boolean): Promise<StartingPoint> {
  const file = resume ? await stat(destPath).catch(() => null) : null
  if (file === null || !file.isFile() || (size !== undefined && file.size > size)) return { have: [], fromJournal: false }
  const journaled = identity === null || journalPath === null ? null : await readRangeJournal(journalPath, identity, file)
  if (journaled === 'stale') return { have: [], fromJournal: false }
  if (journaled !== null) return { have: journaled, fromJournal: true }
  // No journal about this file: the Storage contract's partial file, a prefix of the object.
  return { have: file.size > 0 ? [[0, file.size]] : [], fromJournal: false }
}

/** Spans that cover [0, size): those held (filled), and the gaps cut into ranges of `rangeSize`. */
export function planSpans(size: number, have: readonly Span[], rangeSize: number): FillingSpan[] {
  const spans: FillingSpan[] = []
  let at = 0
  const gap = (until: number) => {
    for (; at < until; at = Math.min(until, at + rangeSize)) spans.push({ start: at, end: Math.min(until, at + rangeSize), filled: 0 })
  }
  for (const [start, end] of [...have].sort((a, b) => a[0] - b[0])) {
    if (end <= at) continue
    gap(start)
    spans.push({ start: at, end, filled: end - at })
    at = end
  }
  gap(size)
  return spans
}

/** One stream from the end of the prefix held (or from the start). */
function inOrderSpans(size: number | undefined, prefix: number): FillingSpan[] {
  const spans: FillingSpan[] = prefix > 0 ? [{ start: 0, end: prefix, filled: prefix }] : []
  const end = size ?? Number.POSITIVE_INFINITY
  if (prefix < end) spans.push({ start: prefix, end, filled: 0 })
  return spans
}

/**
 * Downloads an object to `destPath` the way aria2c and hf_transfer do: in ranges of
 * `rangeSize`, `concurrency` in flight, each written at its offset as it streams in (memory does
 * not grow with the ranges in flight), the sha256 computed on a worker thread that reads the
 * file behind the edge of what is contiguous from the start. Shared by the S3, HTTP and Hugging
 * Face storages.
 *
 * With more than one range to fetch (or ranges from a journal) the file fills out of order, so:
 * - a journal records the completed ranges, and a resume after a crash trusts exactly those;
 * - the object's last byte is written only once every other byte is, so a partial file is
 *   always shorter than the object (core's content store takes a file of full size for whole).
 * Without a version to pin ranges to, a journal folder or range support on the server, and for
 * objects of one range, the object comes as one stream from the end of what the file holds (a
 * prefix, as the Storage contract says).
 */
export async function rangedDownload(
  object: RangedObject,
  read: RangeReader,
  destPath: string,
  settings: RangedDownloadSettings,
  options: DownloadOptions = {},
): Promise<RangedDownloadResult> {
  const { signal } = options
  signal?.throwIfAborted()
  await mkdir(dirname(destPath), { recursive: true })
  const path = resolve(destPath)
  const { size } = object
  const canJournal = object.version !== undefined && object.ranges !== false && settings.journalDir !== undefined && size !== undefined
  const journalPath = settings.journalDir === undefined ? null : rangeJournalPath(settings.journalDir, destPath)
  const identity: RangeIdentity | null = canJournal ? { source: object.name, version: object.version as string, size: size as number, path } : null
  const start = await startingPoint(destPath, journalPath, identity, size, options.resume === true)
  if (!start.fromJournal && journalPath !== null) await removeRangeJournal(journalPath)
  let spans = size === undefined ? [] : planSpans(size, start.have, settings.rangeSize)
  const outOfOrder = identity !== null && (spans.filter((span) => span.filled === 0).length > 1 || start.fromJournal)
  if (!outOfOrder) spans = inOrderSpans(size, start.have[0]?.[1] ?? 0)
  const todo = spans.filter((span) => span.filled === 0)
  const file = await open(destPath, start.have.length > 0 ? 'r+' : 'w')
  let hash: DownloadHash | undefined
  try {
    // A caller's partial file (not one this code journaled) is hashed but never journaled as
    // ours: after a crash, a resume fetches those bytes again instead of trusting them.
    const journal = outOfOrder && identity && journalPath ? new RangeJournalWriter(journalPath, identity, fileIdentity(await file.stat()), start.fromJournal ? start.have : []) : null
    const prefix = outOfOrder ? 0 : (start.have[0]?.[1] ?? 0)
    const onWorker = outOfOrder || (size !== undefined && size >= (settings.workerHashBytes ?? Number.POSITIVE_INFINITY))
    hash = onWorker ? new WorkerHash(path, spans) : await SequentialHash.start(file, prefix, signal)
    const transfer = new SpanTransfer(read, object, settings.label, file, hash, journal, outOfOrder, todo, outOfOrder ? settings.concurrency : 1, options)
    await transfer.run(spans)
    const total = spans.reduce((sum, span) => sum + span.filled, 0) + transfer.heldBack
    if (size !== undefined && total !== size) {
      throw new IntegrityError(`${settings.label}: ${object.name} ended at byte ${total} of ${size}`)
    }
    if (settings.fsync === true) await file.sync()
    const digest = await hash.digest()
    await journal?.remove()
    return { size: spans.reduce((sum, span) => sum + span.filled, 0), digest, fresh: start.have.length === 0 || start.fromJournal, fetched: transfer.fetched }
  } finally {
    await hash?.close()
    await file.close()
  }
}

/** The spans still missing, fetched `concurrency` at a time and written where they belong. */
class SpanTransfer {
  private readonly inner = new AbortController()
  private readonly total: number | undefined
  private received = 0
  /** The object's last byte, held back while other spans are still missing. */
  private lastByte: Buffer | null = null

  constructor(
    private readonly read: RangeReader,
    private readonly object: RangedObject,
    private readonly label: string,
    private readonly file: FileHandle,
    private readonly hash: DownloadHash,
    private readonly journal: RangeJournalWriter | null,
    private readonly holdLastByte: boolean,
    private readonly todo: FillingSpan[],
    private readonly concurrency: number,
    private readonly options: DownloadOptions,
  ) {
    const total = todo.reduce((sum, span) => sum + span.end - span.start, 0)
    this.total = Number.isFinite(total) ? total : undefined
  }

  /** Bytes written from the source so far. */
  get fetched(): number {
    return this.received
  }

  /** 1 while the last byte is held in memory, not yet in the file. */
  get heldBack(): number {
    return this.lastByte === null ? 0 : 1
  }

  async run(spans: readonly FillingSpan[]): Promise<void> {
    const { signal } = this.options
    const stop = () => this.inner.abort(signal?.reason)
    signal?.addEventListener('abort', stop, { once: true })
    try {
      // A signal that fired before the listener was added would never reach the ranges.
      signal?.throwIfAborted()
      await this.journal?.start()
      // The first failure is the one reported; it stops the other spans.
      await runPool(this.todo, this.concurrency, (span) =>
        this.fetch(span).catch((error: unknown) => {
          this.inner.abort()
          throw error
        }),
      )
      // The ranges did not wait for their journal writes; a failed one is reported here.
      await this.journal?.flush()
      if (this.lastByte !== null) {
        const last = spans.at(-1) as FillingSpan
        await this.write(last, last.start + last.filled, [this.lastByte], false)
        this.lastByte = null
      }
    } catch (error) {
      // Every running range has settled (runPool waits for them), so each span's `filled`
      // bytes are in the file: the ranges cut short are journalled up to there, and a resume
      // fetches only what is missing, not whole ranges again.
      const cut = this.todo.filter((span) => span.filled > 0 && span.filled < span.end - span.start)
      await this.journal?.record(...cut.map((span): Span => [span.start, span.start + span.filled])).catch(() => {})
      await this.journal?.flush().catch(() => {})
      signal?.throwIfAborted()
      throw error
    } finally {
      signal?.removeEventListener('abort', stop)
    }
  }

  private async fetch(span: FillingSpan): Promise<void> {
    const { object } = this
    const bounded = Number.isFinite(span.end)
    let batch: Buffer[] = []
    let batched = 0
    let queued = span.start
    // One write in flight while the next batch fills: the network and the disk work at once.
    let inflight: Promise<void> = Promise.resolve()
    const flush = async () => {
      await inflight
      const chunks = batch
      const at = queued
      queued += batched
      batch = []
      batched = 0
      inflight = this.write(span, at, chunks, this.holdLastByte)
    }
    try {
      for await (const raw of this.read(span.start, bounded ? span.end : undefined, this.inner.signal)) {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
        if (chunk.length === 0) continue
        // A server that sends more than the range asked for must not overwrite the next range.
        if (queued + batched + chunk.length > span.end) {
          throw new IntegrityError(`${this.label}: ${object.name} sent more than the bytes ${span.start}-${span.end - 1} asked for`)
        }
        batch.push(chunk)
        batched += chunk.length
        if (batched >= WRITE_BYTES) await flush()
      }
      if (batched > 0) await flush()
      await inflight
    } catch (error) {
      // What arrived before a failure is still written (a resume starts after it); the first
      // failure stays the one reported.
      await inflight.catch(() => {})
      throw error
    }
    const held = this.lastByte !== null && span.end === object.size ? 1 : 0
    if (bounded && span.filled + held !== span.end - span.start) {
      throw new IntegrityError(`${this.label}: ${object.name} ended at byte ${span.start + span.filled} of ${object.size}`)
    }
    // Not awaited: the range's connection goes on to the next range while the journal is
    // rewritten (an fsync and a rename, 5–30 ms on a disk, 128 times a GiB). The journal only
    // ever lags the file, which a resume after a crash pays for with bytes fetched again; the
    // writes coalesce, and run() waits for them (and reports a failure) before it settles.
    if (held === 0 && bounded) this.journal?.record([span.start, span.end]).catch(() => {})
  }

  private async write(span: FillingSpan, at: number, chunks: Buffer[], holdLastByte: boolean): Promise<void> {
    let length = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    if (holdLastByte && length > 0 && at + length === this.object.size) {
      const last = chunks.at(-1) as Buffer
      this.lastByte = Buffer.from(last.subarray(last.length - 1))
      chunks[chunks.length - 1] = last.subarray(0, last.length - 1)
      length--
    }
    const { bytesWritten } = await this.file.writev(chunks, at)
    if (bytesWritten !== length) {
      throw Object.assign(new Error(`${this.label}: only ${bytesWritten} of ${length} bytes of ${this.object.name} reached the file at byte ${at} (disk full?)`), {
        code: 'ENOSPC',
      })
    }
    span.filled += length
    this.hash.written(at, chunks)
    this.received += length
    this.options.onProgress?.({ bytes: this.received, total: this.total })
  }
}
