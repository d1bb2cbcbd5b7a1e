import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** The actor lacks the permission an operation needs. */
export class AccessDeniedError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('ACCESS_DENIED', message, options)
    this.name = 'AccessDeniedError'
  }

  static override isInstance(error: unknown): error is AccessDeniedError {
    return AssetError.isInstance(error) && error.code === 'ACCESS_DENIED'
  }
}
