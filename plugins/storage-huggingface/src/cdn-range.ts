import { BackendUnavailableError, withRetry } from '@assets/core'
import { Agent, type Dispatcher } from 'undici'
import { HubHttpError, isRetryableHubError } from './hub-errors.js'
import { READ_RETRY } from './hub-request.js'

/**
 * Keep-alive connections to the CDN for the ranges of one download, through undici's Agent (as
 * @assets/storage-http reads its ranges). Not `fetch`, whose web-stream body costs the event loop
 * more per chunk, and not `node:http`: in this download its parser and the garbage it left took
 * 3.1–3.3 s of CPU per GiB against 2.1–2.8 s for undici on the same loopback (BENCHMARKS.md,
 * "Ranged downloads"); the ranges in flight are what limits a download on a fast link.
 */
export class CdnConnections {
  private readonly agent: Agent

  constructor(
    private readonly url: URL,
    connections: number,
  ) {
    this.agent = new Agent({ connections })
  }

  /**
   * Streams bytes [start, end) of the LFS object (the CDN URL is presigned and named by its
   * sha256, so every range is of the same bytes). A connection dropped mid-body is reopened from
   * the next missing byte; tries without progress are bounded.
   */
  async *read(start: number, end: number | undefined, signal: AbortSignal): AsyncGenerator<Buffer> {
    let position = start
    let stalled = 0
    for (;;) {
      if (end !== undefined && position >= end) return
      const body = await withRetry(() => this.request(position, end, signal), { ...READ_RETRY, signal })
      let progressed = false
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          position += chunk.length
          progressed = true
          yield chunk
        }
        // A body cut short without an error is a dropped connection too.
        if (end === undefined || position >= end) return
        throw Object.assign(new Error(`the CDN connection closed at byte ${position}`), { code: 'ECONNRESET' })
      } catch (error) {
        signal.throwIfAborted()
        stalled = progressed ? 0 : stalled + 1
        if (!isRetryableHubError(error) || stalled >= READ_RETRY.attempts) throw error
      } finally {
        // A body not read to its end (the caller stopped, or it failed) closes its connection.
        if (!body.readableEnded) body.destroy()
      }
    }
  }

  close(): void {
    void this.agent.destroy().catch(() => {})
  }

  private async request(start: number, end: number | undefined, signal: AbortSignal): Promise<Dispatcher.ResponseData['body']> {
    // identity: the range must be of the file's own bytes, not of a compressed form of them.
    const headers = { range: `bytes=${start}-${end === undefined ? '' : end - 1}`, 'accept-encoding': 'identity' }
    const response = await this.agent.request({ origin: this.url.origin, path: `${this.url.pathname}${this.url.search}`, method: 'GET', headers, signal })
    const status = response.statusCode
    const answered = Number(/^bytes (\d+)-/.exec(String(response.headers['content-range'] ?? ''))?.[1])
    if (status === 206 && answered === start) return response.body
    await response.body.dump().catch(() => {})
    if (status < 200 || status > 299) throw new HubHttpError(status, undefined, `the LFS CDN answered ${status}`)
    throw new BackendUnavailableError('huggingface', `the LFS CDN answered a request for bytes ${start}- with ${status} ${response.headers['content-range'] ?? 'and no range'}`)
  }
}
