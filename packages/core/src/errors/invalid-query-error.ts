import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** A findAssets query that uses an unknown operator, a bad path or a wrongly typed value. */
export class InvalidQueryError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('INVALID_QUERY', message, options)
    this.name = 'InvalidQueryError'
  }

  static override isInstance(error: unknown): error is InvalidQueryError {
    return AssetError.isInstance(error) && error.code === 'INVALID_QUERY'
  }
}
