import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** Not a semantic version (a leading v is accepted). */
export class InvalidVersionError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('INVALID_VERSION', message, options)
    this.name = 'InvalidVersionError'
  }

  static override isInstance(error: unknown): error is InvalidVersionError {
    return AssetError.isInstance(error) && error.code === 'INVALID_VERSION'
  }
}
