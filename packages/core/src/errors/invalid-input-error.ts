import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** Bad arguments: a missing or unreadable source file, a malformed option. */
export class InvalidInputError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('INVALID_INPUT', message, options)
    this.name = 'InvalidInputError'
  }

  static override isInstance(error: unknown): error is InvalidInputError {
    return AssetError.isInstance(error) && error.code === 'INVALID_INPUT'
  }
}
