import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** An asset key that could escape its folder or bucket prefix, or is otherwise malformed. */
export class InvalidKeyError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('INVALID_KEY', message, options)
    this.name = 'InvalidKeyError'
  }

  static override isInstance(error: unknown): error is InvalidKeyError {
    return AssetError.isInstance(error) && error.code === 'INVALID_KEY'
  }
}
