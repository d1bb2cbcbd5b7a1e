import { ValidationError } from '@assets/core'
import type { DatasetCompatibility } from './dataset-compatibility.js'

/**
 * A model was refused because it is incompatible with a dataset it was related to. A
 * ValidationError (code VALIDATION_FAILED) whose issues are the compatibility errors, with
 * the full findings per dataset in `compatibility`.
 */
export class IncompatibleModelError extends ValidationError {
  readonly compatibility: DatasetCompatibility[]

  constructor(key: string, compatibility: DatasetCompatibility[]) {
    const issues = compatibility.flatMap((c) =>
      c.issues.filter((i) => i.severity === 'error').map((i) => ({ code: i.code, path: `${c.relation}/${c.key}@${c.version}`, message: `${i.who}: ${i.message}` })),
    )
    super(`model ${key} was not registered: it is incompatible with a dataset it relates to (pass override: {reason} to record the relation anyway)`, issues)
    this.name = 'IncompatibleModelError'
    this.compatibility = compatibility
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), compatibility: this.compatibility }
  }
}
