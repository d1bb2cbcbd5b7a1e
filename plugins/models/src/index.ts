import type { Actor } from '@assets/core'
import { type ManagerSource, stackOf } from '@assets/core'
import { ModelAssetManager } from './model-asset-manager.js'
import type { ModelManagerOptions } from './model-options.js'

export type { DatasetCompatibility, ModelCompatibilityIssue } from './dataset-compatibility.js'
export { IncompatibleModelError } from './incompatible-model-error.js'
export type { ManagerSource } from '@assets/core'
export { COMPAT_OVERRIDE_ACTION, type CompatibilityCheckOptions, ModelAssetManager, type ModelPutOptions } from './model-asset-manager.js'
export { DEFAULT_CHECKED_RELATIONS, type ModelManagerOptions, modelManagerOptionsSchema } from './model-options.js'
export { MODEL_MODALITIES, type ModelModality } from './model-spec-check.js'

/**
 * A model manager on a stack: pass a manager (`await createAssetManager()`) to share its
 * stack and actor, or the stack's parts with an `actor`. Creating does no I/O.
 */
export function createModelManager(source: ManagerSource, options: ModelManagerOptions & { actor?: Actor } = {}): ModelAssetManager {
  const { actor, ...rest } = options
  const stack = stackOf(source, actor)
  return new ModelAssetManager(stack.parts, stack.actor, rest)
}
