import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** A configured plugin could not be imported; the message says what to install. */
export class PluginNotFoundError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('PLUGIN_NOT_FOUND', message, options)
    this.name = 'PluginNotFoundError'
  }

  static override isInstance(error: unknown): error is PluginNotFoundError {
    return AssetError.isInstance(error) && error.code === 'PLUGIN_NOT_FOUND'
  }
}
