import { AssetError, BackendUnavailableError, InvalidInputError, redactUrl } from '@assets/core'
import postgres from 'postgres'

// The connection went away under us (server restart, pg_terminate_backend, a dropped socket):
// a new connection may well succeed.
// CONNECTION_ENDED: the client was ended (the registry closing) while this call used it.
const LOST = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED'])
// The server cannot be reached at all: retrying at once would only double the wait.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
// admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now.
const LOST_SQLSTATES = new Set(['57P01', '57P02', '57P03'])
// Mistakes in how this plugin calls postgres.js: bugs to see as they are, not outages.
const CLIENT_MISUSE = new Set(['UNDEFINED_VALUE', 'MAX_PARAMETERS_EXCEEDED', 'NOT_TAGGED_CALL', 'UNSAFE_TRANSACTION', 'COPY_IN_PROGRESS'])
// Text PostgreSQL cannot hold (NUL characters, \u0000 inside JSON): the caller's data, not the server.
const UNSTORABLE_SQLSTATES = new Set(['22P05', '22021'])

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

function isServerError(error: unknown): error is postgres.PostgresError {
  return error instanceof postgres.PostgresError
}

/** True when a fresh connection may succeed where this one failed: safe to retry a read once. */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error)
  if (code === undefined) return false
  // The server closes the connection after any FATAL error.
  if (isServerError(error)) return code.startsWith('08') || LOST_SQLSTATES.has(code) || error.severity === 'FATAL' || error.severity === 'PANIC'
  return LOST.has(code)
}

/** The connection, not the statement, failed: it must not be used again. */
export function isConnectionFailure(error: unknown): boolean {
  return isConnectionLost(error) || isUnreachable(error)
}

function isUnreachable(error: unknown): boolean {
  const code = codeOf(error)
  return code !== undefined && !isServerError(error) && UNREACHABLE.has(code)
}

/**
 * Our own errors pass through; failures of the server or the connection become
 * BackendUnavailableError naming the operation and `host:port/database`, with the client's
 * error as `cause`. The password is never part of either: messages are built from the target
 * and the client's own message, which postgres.js and the server never fill with credentials.
 */
export function wrapPostgresError(error: unknown, what: string, target: string): unknown {
  if (AssetError.isInstance(error)) return error
  const message = error instanceof Error ? redactUrl(error.message) : String(error)
  if (isConnectionLost(error) || isUnreachable(error)) {
    return new BackendUnavailableError('postgres', `cannot reach ${target} (${what}): ${message}`, { cause: error })
  }
  if (isServerError(error)) {
    // 22P02 on JSON input: a lone UTF-16 surrogate escape (\ud800), which jsonb refuses.
    if (UNSTORABLE_SQLSTATES.has(error.code) || (error.code === '22P02' && /json/i.test(error.message))) {
      return new InvalidInputError(`${what}: PostgreSQL cannot store this text: ${message}`, { cause: error })
    }
    return new BackendUnavailableError('postgres', `${what} failed on ${target}: ${message} (${error.code})`, { cause: error })
  }
  // Anything else with a code came from the socket or TLS layer (certificate checks and the like).
  const code = codeOf(error)
  if (code !== undefined && !CLIENT_MISUSE.has(code)) {
    return new BackendUnavailableError('postgres', `${what} failed on ${target}: ${message} (${code})`, { cause: error })
  }
  return error
}
