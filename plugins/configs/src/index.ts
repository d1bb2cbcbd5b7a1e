import type { Actor } from '@assets/core'
import { ConfigAssetManager } from './config-asset-manager.js'
import type { ConfigManagerOptions } from './config-options.js'
import { type ManagerSource, stackOf } from '@assets/core'

export { ConfigAssetManager, type ConfigPutOptions } from './config-asset-manager.js'
export { type ConfigManagerOptions, configManagerOptionsSchema, DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_CONFIG_BYTES } from './config-options.js'
export type { ManagerSource } from '@assets/core'
export type { ConfigFormat } from './parse-config.js'
export { REQUIRES_RELATION } from './resolve-requires.js'
export { parseRange, satisfies, type VersionRange } from './version-range.js'

/**
 * A config manager on a stack: pass a manager (`await createAssetManager()`) to share its
 * stack and actor, or the stack's parts with an `actor`. Creating does no I/O.
 */
export function createConfigManager(source: ManagerSource, options: ConfigManagerOptions & { actor?: Actor } = {}): ConfigAssetManager {
  const { actor, ...rest } = options
  const stack = stackOf(source, actor)
  return new ConfigAssetManager(stack.parts, stack.actor, rest)
}
