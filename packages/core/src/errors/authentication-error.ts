import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** The asset server does not know who is asking: no token, or a wrong, expired or revoked one. */
export class AuthenticationError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('UNAUTHENTICATED', message, options)
    this.name = 'AuthenticationError'
  }

  static override isInstance(error: unknown): error is AuthenticationError {
    return AssetError.isInstance(error) && error.code === 'UNAUTHENTICATED'
  }
}
