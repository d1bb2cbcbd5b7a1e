import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { BackendUnavailableError, withRetry } from '@assets/core'
import { HubHttpError, isRetryableHubError } from './hub-errors.js'
import { READ_RETRY } from './hub-request.js'

/**
 * Keep-alive connections to the CDN for the ranges of one download. Node's own HTTP client, not
 * `fetch`: its body is a plain stream, which costs the event loop less per chunk than a web
 * stream, and the ranges in flight are what limits a download on a fast link.
 */
export class CdnConnections {
  private readonly agent: HttpAgent

  constructor(
    private readonly url: URL,
    connections: number,
  ) {
    const options = { keepAlive: true, maxSockets: connections }
    this.agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options)
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
      const response = await withRetry(() => this.request(position, end, signal), { ...READ_RETRY, signal })
      let progressed = false
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
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
        response.destroy()
      }
    }
  }

  close(): void {
    this.agent.destroy()
  }

  private request(start: number, end: number | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest
    // identity: the range must be of the file's own bytes, not of a compressed form of them.
    const headers = { Range: `bytes=${start}-${end === undefined ? '' : end - 1}`, 'Accept-Encoding': 'identity' }
    return new Promise((resolve, reject) => {
      const request = send(this.url, { agent: this.agent, headers, signal }, (response) => {
        const status = response.statusCode ?? 0
        const answered = Number(/^bytes (\d+)-/.exec(String(response.headers['content-range'] ?? ''))?.[1])
        if (status === 206 && answered === start) return resolve(response)
        response.resume()
        if (status < 200 || status > 299) {
          reject(new HubHttpError(status, undefined, `the LFS CDN answered ${status}`))
          return
        }
        reject(new BackendUnavailableError('huggingface', `the LFS CDN answered a request for bytes ${start}- with ${status} ${response.headers['content-range'] ?? 'and no range'}`))
      })
      request.on('error', reject)
      request.end()
    })
  }
}
