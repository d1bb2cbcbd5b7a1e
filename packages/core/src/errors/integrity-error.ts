import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** Bytes did not match their recorded digest or size. */
export class IntegrityError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('INTEGRITY_ERROR', message, options)
    this.name = 'IntegrityError'
  }

  static override isInstance(error: unknown): error is IntegrityError {
    return AssetError.isInstance(error) && error.code === 'INTEGRITY_ERROR'
  }
}
