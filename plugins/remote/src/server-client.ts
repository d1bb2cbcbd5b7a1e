import type { Readable } from 'node:stream'
import { BackendUnavailableError, checkEndpoint, isRetryableStatus, isTransientNetworkError, withRetry } from '@assets/core'
import { Agent, type Dispatcher, request } from 'undici'
import { errorFromResponse } from './remote-errors.js'
import type { RemoteOptions } from './remote-options.js'

export interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Statuses that are answers, not errors (404 for a look-up that may find nothing). */
  accept?: number[]
  /** The server works before it answers (stores a blob, registers a folder, verifies): no limit on the wait for its headers. */
  slow?: boolean
}

type RawBody = string | Buffer | Readable

/** The path of a route that names an asset: each key segment encoded, `/` kept. */
export function keyPath(route: string, key: string): string {
  return `${route}/${key.split('/').map(encodeURIComponent).join('/')}`
}

/**
 * One asset server: its URL, this client's token and a pool of keep-alive connections. JSON
 * calls are retried when the connection fails or the server is briefly unavailable (only for
 * requests that change nothing, or change it idempotently); errors come back as our own
 * error classes with the server's code.
 */
export class ServerClient {
  readonly base: URL
  private readonly agent: Agent
  private readonly token: string | undefined
  private readonly timeoutMs: number
  private readonly allowInsecure: boolean
  /** How blob bytes move (option transfer). */
  readonly transfer: 'server' | 'presigned'

  constructor(options: RemoteOptions, allowInsecure: boolean) {
    this.base = checkEndpoint('remote', 'url', options.url, allowInsecure)
    this.token = options.token
    this.allowInsecure = allowInsecure
    this.transfer = options.transfer ?? 'server'
    this.timeoutMs = options.timeoutMs ?? 60_000
    this.agent = new Agent({ connections: options.connections ?? 32, keepAliveTimeout: 30_000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs })
  }

  url(path: string, query: CallOptions['query'] = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`)
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value))
    return url
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra }
  }

  /** A JSON call; undefined for an accepted non-2xx status or an empty answer. */
  async json<T>(method: Dispatcher.HttpMethod, path: string, options: CallOptions = {}): Promise<T | undefined> {
    // A retried DELETE (untag, rm) whose first answer was lost would fail on what it did itself.
    const idempotent = (method !== 'POST' && method !== 'DELETE') || path === '/v1/find'
    const send = async () => {
      const response = await this.send(method, path, {
        ...options,
        headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), accept: 'application/json', ...options.headers },
        raw: options.body === undefined ? undefined : JSON.stringify(options.body),
      })
      const text = await response.body.text()
      const parsed = text === '' ? undefined : parseJson(text)
      if (response.statusCode >= 200 && response.statusCode < 300) return parsed as T | undefined
      if (options.accept?.includes(response.statusCode)) return undefined
      throw Object.assign(errorFromResponse(response.statusCode, parsed, `${method} ${path}`), { status: response.statusCode })
    }
    return withRetry(send, {
      attempts: idempotent ? 4 : 1,
      signal: options.signal,
      retryable: (error) => isTransientNetworkError(error) || isRetryableStatus((error as { status?: number }).status ?? 0),
    })
  }

  /** A request whose answer the caller reads itself (content, uploads). */
  async send(method: Dispatcher.HttpMethod, path: string, options: CallOptions & { raw?: RawBody } = {}): Promise<Dispatcher.ResponseData> {
    try {
      return await request(this.url(path, options.query), {
        method,
        headers: this.headers(options.headers),
        body: options.raw,
        dispatcher: this.agent,
        signal: options.signal,
        ...(options.slow ? { headersTimeout: 0 } : {}),
      })
    } catch (error: unknown) {
      if (options.signal?.aborted || !isTransientNetworkError(error)) throw error
      throw new BackendUnavailableError('asset server', `${method} ${this.base.origin}${path.split('?')[0]} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  }

  /**
   * A presigned request the server handed out, sent to the store as given: without this
   * client's token, which is the server's to see. The URL carries a signature, so no error
   * names more of it than its origin; plain http:// is refused as for the server itself.
   */
  async presigned(
    presigned: { url: string; method: 'GET' | 'PUT'; headers?: Record<string, string> },
    options: { raw?: RawBody; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Dispatcher.ResponseData> {
    const url = new URL(presigned.url)
    checkEndpoint('remote', 'presigned URL', url.origin, this.allowInsecure)
    try {
      return await request(url, { method: presigned.method, headers: { ...presigned.headers, ...options.headers }, body: options.raw, dispatcher: this.agent, signal: options.signal })
    } catch (error: unknown) {
      if (options.signal?.aborted || !isTransientNetworkError(error)) throw error
      throw new BackendUnavailableError('store', `presigned ${presigned.method} to ${url.origin} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  }

  /** Turns a non-2xx answer the caller did not expect into our error, reading its body. */
  async fail(response: Dispatcher.ResponseData, what: string): Promise<never> {
    const text = await response.body.text().catch(() => '')
    throw errorFromResponse(response.statusCode, text === '' ? undefined : parseJson(text), what)
  }

  close(): Promise<void> {
    return this.agent.close()
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
