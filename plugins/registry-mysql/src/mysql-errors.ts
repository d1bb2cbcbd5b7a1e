import { AssetError, BackendUnavailableError, InvalidInputError, redactUrl } from '@assets/core'

// The connection went away under us (KILL, a server restart, a dropped socket): a new
// connection may well succeed. ER_CONNECTION_KILLED is MariaDB's answer to a statement whose
// connection was killed, ER_CLIENT_INTERACTION_TIMEOUT MySQL's to an idle one it closed.
const LOST = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'CR_SERVER_LOST',
  'CR_SERVER_GONE_ERROR',
])
// The server cannot be reached, or refuses us: retrying at once would only double the wait.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
])
// Values this catalogue's columns cannot hold (too long for a VARCHAR, not JSON): the caller's data.
const UNSTORABLE = new Set(['ER_DATA_TOO_LONG', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_CONSTRAINT_FAILED', 'ER_CHECK_CONSTRAINT_VIOLATED', 'ER_WARN_DATA_OUT_OF_RANGE'])

interface DriverError {
  code?: unknown
  fatal?: unknown
  errno?: unknown
  sqlMessage?: unknown
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as DriverError).code : undefined
  return typeof code === 'string' ? code : undefined
}

/** True when a fresh connection may succeed where this one failed: safe to retry a read once. */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error)
  if (code !== undefined && UNREACHABLE.has(code)) return false
  // mysql2 marks every error after which the connection is unusable as fatal.
  return (code !== undefined && LOST.has(code)) || (typeof error === 'object' && error !== null && (error as DriverError).fatal === true)
}

/** InnoDB chose this transaction as a deadlock's victim and rolled all of it back. */
export function isDeadlock(error: unknown): boolean {
  return codeOf(error) === 'ER_LOCK_DEADLOCK'
}

/** The connection, not the statement, failed: it must not be used again. */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error)
  return isConnectionLost(error) || (code !== undefined && UNREACHABLE.has(code))
}

/**
 * Our own errors pass through; failures of the server or the connection become
 * BackendUnavailableError naming the operation and `host:port/database`, with the driver's
 * error as `cause`. The password is never part of either: mysql2 does not put it in its
 * messages (an access-denied message names the user and says "using password: YES"), and
 * the target is built from the options without it.
 */
export function wrapMysqlError(error: unknown, what: string, target: string): unknown {
  if (AssetError.isInstance(error)) return error
  const code = codeOf(error)
  const message = error instanceof Error ? redactUrl(error.message) : String(error)
  if (isConnectionFailure(error)) {
    return new BackendUnavailableError('mysql', `cannot reach ${target} (${what}): ${message}${code ? ` (${code})` : ''}`, { cause: error })
  }
  if (code !== undefined && UNSTORABLE.has(code)) {
    return new InvalidInputError(`${what}: the MySQL/MariaDB catalogue cannot store this value: ${message}`, { cause: error })
  }
  // A server error (it has an SQL state) or a socket/TLS failure.
  if (code !== undefined && (code.startsWith('ER_') || /^E[A-Z]+$/.test(code) || (error as DriverError).errno !== undefined)) {
    return new BackendUnavailableError('mysql', `${what} failed on ${target}: ${message} (${code})`, { cause: error })
  }
  return error
}
