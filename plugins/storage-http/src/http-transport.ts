import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import { BackendUnavailableError, ConfigInvalidError, isRetryableStatus, withRetry } from '@assets/core'
import { Agent, type Dispatcher } from 'undici'
import { isRetryable, networkError, statusError } from './http-failure.js'
import type { HttpSettings } from './http-settings.js'
import { describeRequest } from './object-url.js'

export interface HttpRequest {
  method: string
  url: URL
  headers?: Record<string, string>
  body?: Dispatcher.DispatchOptions['body']
  signal?: AbortSignal
  /** GET and HEAD follow redirects; a write never does (its body cannot be sent twice). */
  followRedirects?: boolean
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Dispatcher.ResponseData['body']
  /** Where the answer came from, after redirects. */
  url: URL
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * One keep-alive connection pool per origin (undici Agent), created on first use. Credentials
 * and configured headers go only to the base URL's origin: a redirect to another host gets the
 * request without them, so a mirror or CDN never learns the token.
 */
export class HttpTransport {
  #agent: Promise<Agent> | undefined

  constructor(private readonly settings: HttpSettings) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    const agent = await this.agent()
    let url = request.url
    let method = request.method
    for (let hop = 0; ; hop++) {
      const headers = { ...(url.origin === this.settings.base.origin ? this.settings.originHeaders : {}), ...request.headers }
      let response: Dispatcher.ResponseData
      try {
        response = await agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body: request.body, signal: request.signal })
      } catch (error) {
        throw networkError(error, describeRequest(method, url))
      }
      const location = response.headers.location
      if (!request.followRedirects || !REDIRECTS.has(response.statusCode) || typeof location !== 'string') {
        return { status: response.statusCode, headers: response.headers, body: response.body, url }
      }
      await response.body.dump()
      if (hop >= this.settings.maxRedirects) {
        throw new BackendUnavailableError('http', `${describeRequest(request.method, request.url)}: more than ${this.settings.maxRedirects} redirects`)
      }
      url = this.redirectTarget(url, location, request)
      if (response.statusCode === 303 && method !== 'HEAD') method = 'GET'
    }
  }

  /**
   * Sends the request built by `build` (called again for each try, so a body can be re-read),
   * retrying dropped connections, timeouts and 408/429/5xx answers with jittered backoff. Any
   * other status is returned for the caller to judge: a 401 is never retried.
   */
  async sendRetrying(build: () => HttpRequest): Promise<HttpResponse> {
    const first = build()
    return withRetry(
      async (attempt) => {
        const request = attempt === 1 ? first : build()
        const response = await this.send(request)
        if (!isRetryableStatus(response.status)) return response
        await response.body.dump()
        throw statusError(response.status, describeRequest(request.method, request.url))
      },
      {
        attempts: this.settings.retries + 1,
        baseDelayMs: this.settings.retryBaseDelayMs,
        retryable: isRetryable,
        signal: first.signal,
      },
    )
  }

  async close(): Promise<void> {
    const agent = this.#agent
    this.#agent = undefined
    if (agent !== undefined) await (await agent.catch(() => undefined))?.close()
  }

  private redirectTarget(from: URL, location: string, request: HttpRequest): URL {
    let next: URL
    try {
      next = new URL(location, from)
    } catch (cause) {
      throw new BackendUnavailableError('http', `${describeRequest(request.method, request.url)}: the server redirected to an invalid URL`, { cause })
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new BackendUnavailableError('http', `${describeRequest(request.method, request.url)}: refusing a redirect to a ${next.protocol} URL`)
    }
    if (next.protocol === 'http:' && !this.settings.allowInsecure) {
      throw new BackendUnavailableError(
        'http',
        `${describeRequest(request.method, request.url)}: refusing a redirect to plain http://${next.host}; set ALLOW_INSECURE_STORAGE=true to allow it`,
      )
    }
    next.username = ''
    next.password = ''
    return next
  }

  private agent(): Promise<Agent> {
    this.#agent ??= this.createAgent()
    return this.#agent
  }

  private async createAgent(): Promise<Agent> {
    const { settings } = this
    const extra = [settings.ca, settings.caFile === undefined ? undefined : await readCa(settings.caFile)].filter((pem) => pem !== undefined)
    return new Agent({
      connections: settings.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: settings.readTimeoutMs,
      bodyTimeout: settings.readTimeoutMs,
      connect: {
        timeout: settings.connectTimeoutMs,
        rejectUnauthorized: settings.verifyTls,
        // Added to the public roots, not instead of them: a redirect to a CDN must still verify.
        ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
      },
    })
  }
}

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? 'unreadable'
    throw new ConfigInvalidError([{ field: 'http.caFile', message: `cannot read the certificate file ${path} (${code})` }], { cause })
  }
}
