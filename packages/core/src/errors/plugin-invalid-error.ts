import { AssetError, type AssetErrorOptions } from './asset-error.js'

/** A package was imported but is not a plugin of the expected kind, or its options are wrong. */
export class PluginInvalidError extends AssetError {
  constructor(message: string, options: AssetErrorOptions = {}) {
    super('PLUGIN_INVALID', message, options)
    this.name = 'PluginInvalidError'
  }

  static override isInstance(error: unknown): error is PluginInvalidError {
    return AssetError.isInstance(error) && error.code === 'PLUGIN_INVALID'
  }
}
