/** Stable machine-readable codes. A code never changes meaning once published. */
export type AssetErrorCode =
  | 'ASSET_NOT_FOUND'
  | 'VERSION_CONFLICT'
  | 'ACCESS_DENIED'
  | 'UNAUTHENTICATED'
  | 'VALIDATION_FAILED'
  | 'INTEGRITY_ERROR'
  | 'INVALID_KEY'
  | 'INVALID_VERSION'
  | 'INVALID_INPUT'
  | 'INVALID_QUERY'
  | 'CONFIG_INVALID'
  | 'PLUGIN_NOT_FOUND'
  | 'PLUGIN_INVALID'
  | 'BACKEND_UNAVAILABLE'
  | 'UNSUPPORTED_OPERATION'

// A Symbol.for marker, not instanceof: two copies of @assets/core in one process (a plugin
// bundling its own) must still recognise each other's errors.
const marker = Symbol.for('@assets/core/AssetError')

export interface AssetErrorOptions {
  cause?: unknown
}

export class AssetError extends Error {
  readonly [marker] = true
  readonly code: AssetErrorCode

  constructor(code: AssetErrorCode, message: string, options: AssetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AssetError'
    this.code = code
  }

  static isInstance(error: unknown): error is AssetError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true
  }

  /** A plain object for `--json` output and logs; never includes the cause's stack. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/** True when `error` is an AssetError with the given code, whichever copy of core made it. */
export function hasErrorCode(error: unknown, code: AssetErrorCode): boolean {
  return AssetError.isInstance(error) && error.code === code
}
