import { AssetError, type AssetErrorOptions } from './asset-error.js'

export interface ConfigProblem {
  /** Dot path of the field, e.g. `storage.bucket`, or the environment variable name. */
  field: string
  message: string
}

/** The configuration is malformed; `problems` lists every bad field at once. */
export class ConfigInvalidError extends AssetError {
  readonly problems: ConfigProblem[]

  constructor(problems: ConfigProblem[], options: AssetErrorOptions = {}) {
    const lines = problems.map((p) => `  - ${p.field}: ${p.message}`)
    super('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, options)
    this.name = 'ConfigInvalidError'
    this.problems = problems
  }

  static override isInstance(error: unknown): error is ConfigInvalidError {
    return AssetError.isInstance(error) && error.code === 'CONFIG_INVALID'
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems }
  }
}
