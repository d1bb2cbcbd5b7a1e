import type { Actor } from '@assets/core'
import { type ManagerSource, stackOf } from '@assets/core'
import { OutputAssetManager } from './output-asset-manager.js'
import type { OutputManagerOptions } from './output-options.js'

export { checkMetrics, type MetricValues } from './metrics-check.js'
export type { ManagerSource } from '@assets/core'
export { OUTPUT_TYPES, OutputAssetManager, type OutputPutOptions, type OutputType, TEMPORARY_OUTPUT_TYPES } from './output-asset-manager.js'
export { DEFAULT_MAX_METRICS_BYTES, DEFAULT_TEMPORARY_TTL_SECONDS, type OutputManagerOptions, outputManagerOptionsSchema } from './output-options.js'
export { type AssetRef, RUN_RELATIONS, type RunLinks } from './run-links.js'

/**
 * An output manager on a stack: pass a manager (`await createAssetManager()`) to share its
 * stack and actor, or the stack's parts with an `actor`. Creating does no I/O.
 */
export function createOutputManager(source: ManagerSource, options: OutputManagerOptions & { actor?: Actor } = {}): OutputAssetManager {
  const { actor, ...rest } = options
  const stack = stackOf(source, actor)
  return new OutputAssetManager(stack.parts, stack.actor, rest)
}
