import {
  AccessDeniedError,
  type AssetError,
  BackendUnavailableError,
  IntegrityError,
  isRetryableStatus,
  isTransientNetworkError,
  NotFoundError,
  redactUrl,
} from '@assets/core'

interface ServiceErrorShape {
  name?: string
  message?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
  $retryable?: unknown
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchUpload', 'NoSuchVersion'])
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeoutException', 'TooManyRequests'])
// A connection cut in the middle of a body surfaces as a stream error rather than a socket one.
const CUT_STREAM = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'ERR_HTTP2_STREAM_ERROR'])

function shape(error: unknown): ServiceErrorShape {
  return typeof error === 'object' && error !== null ? (error as ServiceErrorShape) : {}
}

export function statusOf(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode
}

export function isNotFound(error: unknown): boolean {
  const e = shape(error)
  return NOT_FOUND.has(e.name ?? '') || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket')
}

export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || shape(error).name === 'AbortError'
}

/** 5xx, throttling, timeouts and dropped connections are worth another try; the rest are not. */
export function isRetryableS3Error(error: unknown): boolean {
  const e = shape(error)
  if (e.name === 'AbortError') return false
  const status = e.$metadata?.httpStatusCode
  if (status !== undefined && isRetryableStatus(status)) return true
  if (THROTTLING.has(e.name ?? '') || e.name === 'TimeoutError') return true
  if (isTransientNetworkError(error)) return true
  for (let c: unknown = error, depth = 0; c && depth < 8; depth++, c = shape(c) && (c as { cause?: unknown }).cause) {
    const code = shape(c).code
    if (code !== undefined && CUT_STREAM.has(code)) return true
    if (/socket hang up|premature close|aborted/i.test(shape(c).message ?? '') && shape(c).name !== 'AbortError') return true
  }
  return false
}

/**
 * The core error for a failed S3 call. `what` says what was attempted and where (never a key or
 * secret); the SDK's error stays as `cause`, and carries no credentials either.
 */
export function toAssetError(error: unknown, what: string): AssetError | Error {
  if (isAbort(error)) return error as Error
  const e = shape(error)
  // The SDK's message may quote a request URL, presigned or with an endpoint's credentials.
  const detail = `${e.name ?? 'Error'}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}${e.message ? `: ${redactUrl(e.message)}` : ''}`
  if (e.name === 'NoSuchBucket') return new NotFoundError(`s3: ${what}: the bucket does not exist`, { cause: error })
  if (isNotFound(error)) return new NotFoundError(`s3: ${what}: no such object`, { cause: error })
  if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412) {
    return new IntegrityError(`s3: ${what}: the object changed while it was being read`, { cause: error })
  }
  if (e.name === 'AccessDenied' || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch' || e.$metadata?.httpStatusCode === 403) {
    return new AccessDeniedError(`s3: ${what}: access denied (${detail})`, { cause: error })
  }
  return new BackendUnavailableError('s3', `${what} failed: ${detail}`, { cause: error })
}
