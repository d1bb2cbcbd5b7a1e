import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** The backend cannot do this (e.g. writing to a read-only mirror). */
export class UnsupportedOperationError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('UNSUPPORTED_OPERATION', message, options)
    this.name = 'UnsupportedOperationError'
  }

  static override isInstance(error: unknown): error is UnsupportedOperationError {
    return AssetError.isInstance(error) && error.code === 'UNSUPPORTED_OPERATION'
  }
}
