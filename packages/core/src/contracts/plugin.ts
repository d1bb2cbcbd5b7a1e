import type { Static, TSchema } from '@sinclair/typebox'
import type { Cache } from './cache.js'
import type { Registry } from './registry.js'
import type { Storage } from './storage.js'

/** The contract version a plugin was written against; core adapts or refuses older ones. */
export const SPECIFICATION_VERSION = 1

export type PluginKind = 'storage' | 'cache' | 'registry'

export interface PluginInstanceMap {
  storage: Storage
  cache: Cache
  registry: Registry
}

export interface Logger {
  warn(message: string): void
  info?(message: string): void
}

/** What a plugin's `create` receives besides its options. */
export interface PluginContext {
  /** The data folder of the embedded default (ASSETS_HOME or the XDG folders). */
  dataDir: string
  cacheDir: string
  /** `ALLOW_INSECURE_STORAGE=true`: plain http:// endpoints are allowed. */
  allowInsecureStorage: boolean
  logger: Logger
  env: Record<string, string | undefined>
}

export interface PluginDefinition<K extends PluginKind = PluginKind, S extends TSchema = TSchema> {
  kind: K
  name: string
  specificationVersion: number
  /** typebox schema of the options; the loader validates against it before `create`. */
  options: S
  /** Creating does no I/O: clients connect lazily on first use. */
  create(options: Static<S>, context: PluginContext): PluginInstanceMap[K]
}

export function definePlugin<K extends PluginKind, S extends TSchema>(definition: PluginDefinition<K, S>): PluginDefinition<K, S> {
  return definition
}
