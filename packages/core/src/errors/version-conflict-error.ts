import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** A version is immutable: the same version was registered with different content. */
export class VersionConflictError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('VERSION_CONFLICT', message, options)
    this.name = 'VersionConflictError'
  }

  static override isInstance(error: unknown): error is VersionConflictError {
    return AssetError.isInstance(error) && error.code === 'VERSION_CONFLICT'
  }
}
