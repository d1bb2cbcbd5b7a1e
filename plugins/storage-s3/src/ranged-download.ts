import { type FileHandle, mkdir, open, rm, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { type DownloadOptions, type DownloadResult, digestHex, IntegrityError, runPool } from '@assets/core'
import { type DownloadHash, type FillingSpan, SequentialHash } from './download-hash.js'
import { type DownloadIdentity, DownloadJournalWriter, downloadJournalPath, fileIdentity, readDownloadJournal, removeDownloadJournal, type Span } from './download-journal.js'
import type { S3Context } from './s3-context.js'
import type { S3Target } from './s3-location.js'
import { readWindow } from './ranged-read.js'
import { WorkerHash } from './worker-hash.js'

export interface RemoteObject {
  size: number
  etag?: string
  /** sha256 hex recorded at upload by this plugin, when present. */
  sha256?: string
}

/** Received chunks are gathered up to this size per span and written with one writev. */
const WRITE_BYTES = 1 << 20

/** What the destination already holds: spans from a download journal, or a prefix, or nothing. */
interface StartingPoint {
  have: Span[]
  /** The journal's spans were trusted (the file may have holes). */
  fromJournal: boolean
}

async function startingPoint(destPath: string, journalPath: string, identity: DownloadIdentity | null, size: number, resume: boolean): Promise<StartingPoint> {
  const file = resume ? await stat(destPath).catch(() => null) : null
  if (file === null || file.size > size) return { have: [], fromJournal: false }
  const journaled = identity === null ? null : await readDownloadJournal(journalPath, identity, file)
  if (journaled === 'stale') return { have: [], fromJournal: false }
  if (journaled !== null) return { have: journaled, fromJournal: true }
  // No journal about this file: the Storage contract's partial file, a prefix of the object.
  return { have: file.size > 0 ? [[0, file.size]] : [], fromJournal: false }
}

/** Spans that cover [0, size): those held (filled), and the gaps cut into ranges of `rangeSize`. */
function planSpans(size: number, have: Span[], rangeSize: number): FillingSpan[] {
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

/**
 * Downloads an object to `destPath` in spans of `rangeSize`, `rangeConcurrency` in flight, each
 * written at its offset as it streams in: memory does not grow with the spans in flight. Every
 * span is pinned to the object's ETag. The digest covers the whole file, resumed bytes included.
 *
 * With more than one span to fetch (or spans from a journal) the file fills out of order, so:
 * - a journal records the completed spans, and a resume after a crash trusts exactly those;
 * - the object's last byte is written only once every other byte is, so a partial file is
 *   always shorter than the object (core's content store takes a file of full size for whole);
 * - a worker thread hashes the file behind the contiguous edge (WorkerHash).
 * Without a journal a partial file is trusted as a prefix, as the Storage contract says. An
 * object without an ETag (no journal is possible) is fetched one span after another.
 */
export async function downloadObject(
  ctx: S3Context,
  target: S3Target,
  remote: RemoteObject,
  destPath: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const { signal } = options
  await mkdir(dirname(destPath), { recursive: true })
  const journalPath = downloadJournalPath(ctx.settings.journalDir, destPath)
  const path = resolve(destPath)
  const identity: DownloadIdentity | null = remote.etag === undefined ? null : { bucket: target.bucket, key: target.key, etag: remote.etag, size: remote.size, path }
  const start = await startingPoint(destPath, journalPath, identity, remote.size, options.resume === true)
  if (!start.fromJournal) await removeDownloadJournal(journalPath)
  const spans = planSpans(remote.size, start.have, ctx.settings.rangeSize)
  const todo = spans.filter((span) => span.filled === 0)
  // Without an ETag there can be no journal, so the spans are fetched one after another and the
  // file stays a prefix of the object.
  const outOfOrder = identity !== null && (todo.length > 1 || start.fromJournal)
  const file = await open(destPath, start.have.length > 0 ? 'r+' : 'w')
  let hash: DownloadHash | undefined
  try {
    const journal = outOfOrder && identity ? new DownloadJournalWriter(journalPath, identity, fileIdentity(await file.stat()), start.have) : null
    hash = outOfOrder ? new WorkerHash(path, spans) : await SequentialHash.start(file, start.have[0]?.[1] ?? 0, signal)
    const transfer = new SpanTransfer(ctx, target, remote, file, hash, journal, outOfOrder, todo, outOfOrder ? ctx.settings.rangeConcurrency : 1, options)
    await transfer.run(spans)
    await file.sync()
    const digest = await hash.digest()
    await journal?.remove()
    // Our own bytes (a fresh download, or ranges our journal vouched for) must match the sha256
    // recorded at upload. A partial file given as a prefix is the caller's, kept as it is (the
    // Storage contract), and checked by the caller.
    const ours = start.have.length === 0 || start.fromJournal
    if (ours && remote.sha256 !== undefined && remote.sha256 !== digestHex(digest)) {
      await rm(destPath, { force: true })
      throw new IntegrityError(`s3: ${target.location} does not match the sha256 recorded when it was uploaded`)
    }
    return { size: remote.size, digest }
  } finally {
    await hash?.close()
    await file.close()
  }
}

/** The spans still missing, fetched `concurrency` at a time and written where they belong. */
class SpanTransfer {
  private readonly inner = new AbortController()
  private readonly total: number
  private received = 0
  /** The object's last byte, held back while other spans are still missing. */
  private lastByte: Buffer | null = null

  constructor(
    private readonly ctx: S3Context,
    private readonly target: S3Target,
    private readonly remote: RemoteObject,
    private readonly file: FileHandle,
    private readonly hash: DownloadHash,
    private readonly journal: DownloadJournalWriter | null,
    private readonly holdLastByte: boolean,
    private readonly todo: FillingSpan[],
    private readonly concurrency: number,
    private readonly options: DownloadOptions,
  ) {
    this.total = todo.reduce((sum, span) => sum + span.end - span.start, 0)
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
      if (this.lastByte !== null) await this.write(spans.at(-1) as FillingSpan, [this.lastByte], false)
    } catch (error) {
      await this.journal?.flush().catch(() => {})
      signal?.throwIfAborted()
      throw error
    } finally {
      signal?.removeEventListener('abort', stop)
    }
  }

  private async fetch(span: FillingSpan): Promise<void> {
    const { target, remote } = this
    let batch: Buffer[] = []
    let batched = 0
    for await (const chunk of readWindow(this.ctx, target, { start: span.start, end: span.end, etag: remote.etag }, this.inner.signal)) {
      // A server that sends more than the range asked for must not overwrite the next range.
      if (span.start + span.filled + batched + chunk.length > span.end) {
        throw new IntegrityError(`s3: ${target.location} sent more than the bytes ${span.start}-${span.end - 1} asked for`)
      }
      batch.push(chunk)
      batched += chunk.length
      if (batched >= WRITE_BYTES) {
        await this.write(span, batch, this.holdLastByte)
        batch = []
        batched = 0
      }
    }
    if (batched > 0) await this.write(span, batch, this.holdLastByte)
    const held = this.lastByte !== null && span.end === remote.size ? 1 : 0
    if (span.filled + held !== span.end - span.start) {
      throw new IntegrityError(`s3: ${target.location} ended at byte ${span.start + span.filled} of ${remote.size}`)
    }
    if (held === 0) await this.journal?.record([span.start, span.end])
  }

  private async write(span: FillingSpan, chunks: Buffer[], holdLastByte: boolean): Promise<void> {
    const at = span.start + span.filled
    let length = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    if (holdLastByte && length > 0 && at + length === this.remote.size) {
      const last = chunks.at(-1) as Buffer
      this.lastByte = Buffer.from(last.subarray(last.length - 1))
      chunks[chunks.length - 1] = last.subarray(0, last.length - 1)
      length--
    }
    const { bytesWritten } = await this.file.writev(chunks, at)
    if (bytesWritten !== length) throw new Error(`s3: only ${bytesWritten} of ${length} bytes of ${this.target.location} reached the file at byte ${at} (disk full?)`)
    span.filled += length
    this.hash.written(at, chunks)
    this.received += length
    this.options.onProgress?.({ bytes: this.received, total: this.total })
  }
}
