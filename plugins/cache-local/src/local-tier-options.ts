import { resolve } from 'node:path'
import { ConfigInvalidError, type PluginContext, Type } from '@assets/core'

/** The options of a tiered cache's local tier, one set of names and checks for every plugin that has one. */
export const localTierOptions = {
  path: Type.Optional(Type.String({ minLength: 1, description: "Folder of this worker's local disk tier; default: the cache folder." })),
  maxBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes the local tier keeps (least recently used entries are evicted).' })),
}

/** What a tiered cache needs besides its options; the plugin passes its context, a direct caller may omit it. */
export interface TieredCacheContext {
  /** Default folder of the local tier when `path` is not given. */
  cacheDir?: string
  logger?: PluginContext['logger']
}

/** The absolute folder of the local tier: `path`, else the cache folder of the context. */
export function resolveLocalTierPath(path: string | undefined, context: TieredCacheContext): string {
  const chosen = path ?? context.cacheDir
  if (chosen === undefined || chosen === '') {
    throw new ConfigInvalidError([{ field: 'cache.path', message: 'required: the folder of the local tier (the plugin defaults it to the cache folder)' }])
  }
  return resolve(chosen)
}
