/** Which of the checked specs has to change for the problem to go away. */
export type CompatibilityParty = 'dataset' | 'model' | 'task' | 'metric'

/** `error` blocks a run; `warning` is advice (an optional input the dataset lacks). */
export type CompatibilitySeverity = 'error' | 'warning'

export type CompatibilityCode =
  | 'MISSING_INPUT'
  | 'FORMAT_MISMATCH'
  | 'MISSING_OUTPUT'
  | 'MISSING_REFERENCE'
  | 'METRIC_INPUT'
  | 'ORGANISM_MISMATCH'
  | 'OPTIONAL_INPUT_MISSING'
  | 'UNSUPPORTED_TASK'
  | 'UNSUPPORTED_METRIC'
  | 'RESOURCE_UNMET'

export interface CompatibilityIssue {
  who: CompatibilityParty
  code: CompatibilityCode
  severity: CompatibilitySeverity
  /** Plain English, naming the specs and slots involved. */
  message: string
}

/** True when no issue is an error: warnings alone do not block a run. */
export function isCompatible(issues: readonly CompatibilityIssue[]): boolean {
  return !issues.some((i) => i.severity === 'error')
}
