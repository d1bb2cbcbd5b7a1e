import { AssetError, type AssetErrorCode, ValidationError } from '@assets/core'

/** The HTTP status each error code answers with; the body carries the code itself. */
export const STATUS_OF_CODE: Record<AssetErrorCode, number> = {
  ASSET_NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  ACCESS_DENIED: 403,
  UNAUTHENTICATED: 401,
  VALIDATION_FAILED: 422,
  INTEGRITY_ERROR: 422,
  INVALID_KEY: 400,
  INVALID_VERSION: 400,
  INVALID_INPUT: 400,
  INVALID_QUERY: 400,
  CONFIG_INVALID: 500,
  PLUGIN_NOT_FOUND: 500,
  PLUGIN_INVALID: 500,
  BACKEND_UNAVAILABLE: 503,
  UNSUPPORTED_OPERATION: 501,
}

/** What every error response holds: `{error: {code, message, issues?}}`. */
export interface ErrorBody {
  error: { code: string; message: string; issues?: unknown[] }
}

/**
 * The status and body for anything a handler threw. Our own errors keep their code and
 * message (they never hold secrets: DESIGN §5.6), except 5xx ones, whose message may name a
 * backend's host or files and is only logged; Fastify's own (a malformed body, one too
 * large, a failed schema) become INVALID_INPUT; anything else is an internal error whose
 * message is not shown, since it may come from a driver and quote a connection string.
 */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (AssetError.isInstance(error) && (error.code === 'BACKEND_UNAVAILABLE' || (STATUS_OF_CODE[error.code] ?? 500) === 500)) {
    // A backend's message may name its host, database or files: the log has it, the client not.
    const unavailable = error.code === 'BACKEND_UNAVAILABLE'
    return { status: unavailable ? 503 : 500, body: { error: { code: error.code, message: unavailable ? 'a backend of the server is unavailable; try again later' : 'the server failed; its log says why' } } }
  }
  if (AssetError.isInstance(error)) {
    const issues = ValidationError.isInstance(error) ? error.issues : undefined
    return { status: STATUS_OF_CODE[error.code] ?? 500, body: { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } } }
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string; validation?: unknown }
  if (fastify.validation !== undefined) return { status: 400, body: { error: { code: 'INVALID_INPUT', message: fastify.message ?? 'invalid request' } } }
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: { error: { code: 'INVALID_INPUT', message: fastify.message ?? 'invalid request' } } }
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'the server failed; its log says why' } } }
}
