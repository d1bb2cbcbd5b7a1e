import { AssetError, BackendUnavailableError, InvalidInputError } from '@assets/core'

export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError'
}

// A location whose parent is an object (`a` exists, writing `a/b`) or that names a folder holding
// other objects: a caller's mistake, not an unavailable backend.
const COLLISIONS = new Set(['EEXIST', 'EISDIR', 'ENOTDIR'])

/**
 * Passes our own errors and aborts through; anything else the filesystem threw (EACCES, ENOSPC …)
 * becomes a BackendUnavailableError that says what was attempted and keeps the original as cause.
 */
export function wrapFileSystemError(action: string, error: unknown): unknown {
  if (AssetError.isInstance(error) || isAbortError(error)) return error
  const code = errnoCode(error)
  if (code !== undefined && COLLISIONS.has(code)) {
    return new InvalidInputError(`local: ${action}: the location collides with an existing object or folder (${code})`, { cause: error })
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error))
  return new BackendUnavailableError('local', `${action} failed (${detail})`, { cause: error })
}
