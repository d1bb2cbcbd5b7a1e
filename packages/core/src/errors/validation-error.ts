import { AssetError, type AssetErrorOptions } from './asset-error.js'

export interface ValidationIssue {
  /** Stable code of the failed check, e.g. MISSING_COLUMN. */
  code: string
  /** Where in the asset, e.g. `obs/cell_type`; empty for the whole asset. */
  path: string
  message: string
}

/** An asset or spec failed validation; `issues` lists every failure, not just the first. */
export class ValidationError extends AssetError {
  readonly issues: ValidationIssue[]

  constructor(message: string, issues: ValidationIssue[], options: AssetErrorOptions = {}) {
    super('VALIDATION_FAILED', ValidationError.describe(message, issues), options)
    this.name = 'ValidationError'
    this.issues = issues
  }

  static override isInstance(error: unknown): error is ValidationError {
    return AssetError.isInstance(error) && error.code === 'VALIDATION_FAILED'
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues }
  }

  private static describe(message: string, issues: ValidationIssue[]): string {
    const lines = issues.slice(0, 20).map((i) => `  - ${i.path || '(asset)'}: ${i.message} [${i.code}]`)
    if (issues.length > 20) lines.push(`  … and ${issues.length - 20} more`)
    return lines.length > 0 ? `${message}\n${lines.join('\n')}` : message
  }
}
