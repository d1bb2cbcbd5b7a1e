import { type AssetRecord, type CompatibilityChecker, type CompatibilityIssue, type ModelSpec, parseSpec, type TaskSpec, ValidationError } from '@assets/core'

/** A compatibility finding of ours that the core checker has no code for. */
export type ModelCompatibilityIssue = Omit<CompatibilityIssue, 'code'> & { code: CompatibilityIssue['code'] | 'DATASET_SPEC_MISSING' | 'DATASET_SPEC_INVALID' }

/** The outcome of checking the model against one related dataset version. */
export interface DatasetCompatibility {
  relation: string
  key: string
  version: string
  issues: ModelCompatibilityIssue[]
}

/**
 * Checks the model against the DatasetSpec recorded with the dataset version. A dataset
 * without a (valid) spec cannot be shown compatible, so that is an error too.
 */
export function checkDataset(checker: CompatibilityChecker, relation: string, dataset: AssetRecord, model: ModelSpec, task?: TaskSpec): DatasetCompatibility {
  const result = { relation, key: dataset.key, version: dataset.version }
  const name = `${dataset.key}@${dataset.version}`
  if (dataset.specs === undefined || dataset.specs === null) {
    return { ...result, issues: [{ who: 'dataset', code: 'DATASET_SPEC_MISSING', severity: 'error', message: `dataset ${name} has no DatasetSpec recorded, so compatibility cannot be checked` }] }
  }
  let spec: ReturnType<typeof parseSpec<'dataset'>>
  try {
    spec = parseSpec('dataset', dataset.specs, { source: name })
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error
    return { ...result, issues: [{ who: 'dataset', code: 'DATASET_SPEC_INVALID', severity: 'error', message: `the DatasetSpec recorded with ${name} is not valid: ${error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` }] }
  }
  return { ...result, issues: checker.check(spec, model, task) }
}

export const blocking = (c: DatasetCompatibility) => c.issues.filter((i) => i.severity === 'error')
