import {
  AccessDeniedError,
  type AssetError,
  AuthenticationError,
  BackendUnavailableError,
  IntegrityError,
  InvalidInputError,
  InvalidKeyError,
  InvalidQueryError,
  InvalidVersionError,
  NotFoundError,
  UnsupportedOperationError,
  ValidationError,
  type ValidationIssue,
  VersionConflictError,
} from '@assets/core'

const BY_CODE: Record<string, (message: string, issues: ValidationIssue[]) => AssetError> = {
  ASSET_NOT_FOUND: (m) => new NotFoundError(m),
  VERSION_CONFLICT: (m) => new VersionConflictError(m),
  ACCESS_DENIED: (m) => new AccessDeniedError(m),
  UNAUTHENTICATED: (m) => new AuthenticationError(m),
  VALIDATION_FAILED: (m, issues) => new ValidationError(m, issues),
  INTEGRITY_ERROR: (m) => new IntegrityError(m),
  INVALID_KEY: (m) => new InvalidKeyError(m),
  INVALID_VERSION: (m) => new InvalidVersionError(m),
  INVALID_INPUT: (m) => new InvalidInputError(m),
  INVALID_QUERY: (m) => new InvalidQueryError(m),
  UNSUPPORTED_OPERATION: (m) => new UnsupportedOperationError(m),
  BACKEND_UNAVAILABLE: (m) => new BackendUnavailableError('asset server', m),
}

/**
 * The server's error body (`{error: {code, message}}`) as the same error class a local stack
 * throws, so that callers (and the CLI's exit codes) cannot tell the two apart.
 */
export function errorFromResponse(status: number, body: unknown, what: string): AssetError {
  const error = (body as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined)?.error
  const message = typeof error?.message === 'string' ? error.message : `${what}: the server answered ${status}`
  const make = typeof error?.code === 'string' ? BY_CODE[error.code] : undefined
  if (make) return make(message, Array.isArray(error?.issues) ? (error.issues as ValidationIssue[]) : [])
  if (status === 401) return new AuthenticationError(message)
  if (status === 403) return new AccessDeniedError(message)
  if (status === 404) return new NotFoundError(message)
  if (status === 413 || (status >= 400 && status < 500)) return new InvalidInputError(message)
  return new BackendUnavailableError('asset server', `${what}: the server answered ${status}${typeof error?.message === 'string' ? `: ${error.message}` : ''}`)
}
