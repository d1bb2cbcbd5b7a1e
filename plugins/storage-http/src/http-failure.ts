import {
  AccessDeniedError,
  AssetError,
  BackendUnavailableError,
  isRetryableStatus,
  isTransientNetworkError,
  NotFoundError,
  redactUrl,
  UnsupportedOperationError,
} from '@assets/core'

/** The status a server answered; kept as the `cause` of the typed error so retries can see it. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly what: string,
  ) {
    super(`${what} answered HTTP ${status}`)
    this.name = 'HttpStatusError'
  }
}

// OpenSSL's verification failures: a configuration problem (missing CA), never worth a retry.
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH|ERR_TLS_CERT/

/** A typed error for a response status that is not a success; `what` is e.g. `GET https://host/path`. */
export function statusError(status: number, what: string, hint = ''): AssetError {
  const cause = new HttpStatusError(status, what)
  const suffix = hint === '' ? '' : `: ${hint}`
  if (status === 401 || status === 403) {
    return new AccessDeniedError(`http: ${what} was refused with HTTP ${status}; check the credentials (authType and its token, user or key)${suffix}`, {
      cause,
    })
  }
  if (status === 404 || status === 410) return new NotFoundError(`http: no object at ${what} (HTTP ${status})`, { cause })
  if (status === 405 || status === 501) {
    return new UnsupportedOperationError(`http: the server does not allow ${what} (HTTP ${status})${suffix}`, { cause })
  }
  return new BackendUnavailableError('http', `${what} failed with HTTP ${status}${suffix}`, { cause })
}

/** Wraps what undici or the socket threw; our own errors and aborts pass through unchanged. */
export function networkError(error: unknown, what: string): unknown {
  if (AssetError.isInstance(error) || isAbortError(error)) return error
  const code = errorCode(error)
  if (code !== undefined && CERTIFICATE_CODES.test(code)) {
    return new BackendUnavailableError(
      'http',
      `${what}: the server's TLS certificate could not be verified (${code}); give its certificate authority with the ca or caFile ` +
        'option, or on a trusted network turn verification off (verifySsl false, HTTP_STORAGE_VERIFY_SSL=false)',
      { cause: error },
    )
  }
  const detail = code ?? redactUrl(error instanceof Error ? error.message : String(error))
  return new BackendUnavailableError('http', `${what} failed (${detail})`, { cause: error })
}

/** Worth another try: a dropped connection, a timeout, or a 408/429/5xx answer. */
export function isRetryable(error: unknown): boolean {
  if (isAbortError(error)) return false
  const cause = (error as { cause?: unknown } | null)?.cause
  if (cause instanceof HttpStatusError) return isRetryableStatus(cause.status)
  // A body shorter than its Content-Length (undici's UND_ERR_RES_CONTENT_LENGTH_MISMATCH) is
  // among core's transient errors: the connection closed early, like a reset.
  return isTransientNetworkError(error)
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError'
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = []
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    e = (e as { cause?: unknown }).cause
  }
  return codes
}

/** The most specific code along the cause chain (undici wraps the socket's own error). */
function errorCode(error: unknown): string | undefined {
  const codes = errorCodes(error)
  return codes.find((code) => !code.startsWith('UND_ERR_SOCKET') && code !== 'UND_ERR_CONNECT') ?? codes[0]
}
