import { AssetError, type AssetErrorOptions } from './asset-error.js'

/**
 * A backend could not be reached or failed. `backend` names the plugin (`s3`, `sqlite` …); the
 * message says what was attempted and where, never a credential.
 */
export class BackendUnavailableError extends AssetError {
  readonly backend: string

  constructor(backend: string, message: string, options: AssetErrorOptions = {}) {
    super('BACKEND_UNAVAILABLE', `${backend}: ${message}`, options)
    this.name = 'BackendUnavailableError'
    this.backend = backend
  }

  static override isInstance(error: unknown): error is BackendUnavailableError {
    return AssetError.isInstance(error) && error.code === 'BACKEND_UNAVAILABLE'
  }
}
