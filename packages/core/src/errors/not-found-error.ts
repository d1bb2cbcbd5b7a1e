import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** The asset, version, tag or file does not exist (or was deleted). */
export class NotFoundError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('ASSET_NOT_FOUND', message, options)
    this.name = 'NotFoundError'
  }

  static override isInstance(error: unknown): error is NotFoundError {
    return AssetError.isInstance(error) && error.code === 'ASSET_NOT_FOUND'
  }
}
