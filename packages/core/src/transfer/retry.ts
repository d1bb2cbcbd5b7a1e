import { setTimeout as sleep } from 'node:timers/promises'

export interface RetryOptions {
  /** Total tries, the first included (default 5). */
  attempts?: number
  /** Delay before the first retry in ms (default 200); doubles each time up to `maxDelayMs`. */
  baseDelayMs?: number
  /** Upper bound of one delay in ms (default 10 000). */
  maxDelayMs?: number
  /** Whether this error is worth another try (default: every error). */
  retryable?: (error: unknown, attempt: number) => boolean
  /** Told before each wait; plugins log or count retries here. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  signal?: AbortSignal
}

/**
 * Runs `operation` until it succeeds, the error is not retryable, or the attempts run out; the
 * last error is thrown as it is. Waits grow exponentially with full jitter so that many workers
 * hitting one throttled server do not retry in lockstep.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5)
  const base = options.baseDelayMs ?? 200
  const max = options.maxDelayMs ?? 10_000
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted()
    try {
      return await operation(attempt)
    } catch (error) {
      if (attempt >= attempts || options.signal?.aborted || !(options.retryable?.(error, attempt) ?? true)) throw error
      const delayMs = backoffDelay(attempt, base, max)
      options.onRetry?.(error, attempt, delayMs)
      await sleep(delayMs, undefined, { signal: options.signal })
    }
  }
}

/** Full jitter: a uniform wait between 0 and min(max, base · 2^(attempt-1)). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
  return Math.round(Math.random() * ceiling)
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  // undici's error for a body cut short on a connection the server said it would close.
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
])

/** A dropped or refused connection or a timeout, looked for along the `cause` chain. */
export function isTransientNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true
    const name = (e as { name?: unknown }).name
    if (name === 'TimeoutError') return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** HTTP statuses that mean "try again later": server errors, throttling, request timeout. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}
