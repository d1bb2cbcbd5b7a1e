import { userInfo } from 'node:os'
import { join } from 'node:path'
import type { Actor } from './acl.js'
import { AssetConfig } from './config/index.js'
import { ConfigInvalidError } from './errors/index.js'
import type { Logger, PluginContext } from './contracts/plugin.js'
import { BaseAssetManager } from './manager/base-asset-manager.js'
import { loadPlugin } from './plugins/plugin-loader.js'
import { createReferenceReaders } from './plugins/reference-readers.js'
import { type PluginImporter, PluginSearch } from './plugins/plugin-search.js'

export interface CreateAssetManagerOptions {
  /** Who acts; default: the configured identity, else the OS user (see `defaultActor`). */
  actor?: Actor
  /**
   * How plugin packages are imported; default: a PluginSearch of the working directory's
   * project, wherever core is installed, and the config's plugin paths.
   */
  importer?: PluginImporter
  logger?: Logger
  /**
   * Seconds a look-up (`latest`, a tag) may be served from the cache; default the cache's TTL
   * for a server registry, 0 for SQLite. The asset server sets 0 over a cache of its own disk,
   * so that a change made through another server process is seen at once.
   */
  metadataTtl?: number
}

/**
 * The actor a user name stands for under this config: its groups and roles from `users`, or
 * the identity section's when it is the configured identity. The name comes from `user`
 * (`--as`), else the config's identity (ASSETS_USER or `identity.user`), else the OS user, and
 * the answer depends only on the name, not on which of them gave it. On the embedded default
 * with no identities configured at all, the OS user is the admin of their own catalogue (a
 * laptop has one person; `gc` needs the admin role); any other name is an ordinary user. Names
 * are claimed, not proven: only the server makes them real.
 */
export function actorFor(config: AssetConfig, user?: string): Actor {
  const name = user ?? config.identity.user ?? userInfo().username
  const listed = config.users[name]
  if (listed) return { user: name, groups: listed.groups, roles: listed.roles }
  const osUser = osUserName()
  const isIdentity = name === (config.identity.user ?? osUser)
  const groups = isIdentity ? config.identity.groups : []
  const roles = isIdentity ? config.identity.roles : []
  const nothingConfigured = Object.keys(config.users).length === 0 && config.identity.roles.length === 0 && config.identity.groups.length === 0
  if (name === osUser && nothingConfigured && config.registry.type === 'sqlite') return { user: name, groups, roles: ['admin'] }
  return { user: name, groups, roles }
}

// A container may run as a uid with no passwd entry: then no name is the OS user's.
function osUserName(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}

/**
 * Composes the stack a config selects: storage, registry and (unless disabled) cache plugins,
 * loaded by name. Creating does no I/O; backends connect on first use.
 */
export async function createAssetManager(given?: AssetConfig, options: CreateAssetManagerOptions = {}): Promise<BaseAssetManager> {
  // loadAsync, so that a CONFIG_PATH naming a URL works without a config from the caller.
  const config = given ?? (await AssetConfig.loadAsync({ logger: options.logger }))
  const context: PluginContext = config.pluginContext(options.logger)
  const load = { importer: options.importer ?? new PluginSearch({ pluginPaths: config.pluginPaths }).importer }
  const storage = await loadPlugin('storage', config.storage, context, load)
  const registry = await loadPlugin('registry', config.registry, context, load)
  // An asset server holds both halves of the stack: content registered through it must be in
  // its store, and what its catalogue lists is read through it. Half a server is refused now,
  // not at the first put.
  if ((registry.server !== undefined) !== (storage.scopedTo !== undefined)) {
    await Promise.allSettled([storage.close(), registry.close()])
    throw new ConfigInvalidError([
      { field: registry.server ? 'storage' : 'registry', message: `the asset server (ASSETS_URL, type remote) must be both the storage and the registry, not the ${registry.server ? `registry with ${storage.name} storage` : `storage with the ${registry.name} registry`}` },
    ])
  }
  const cache = config.cache.enabled ? await loadPlugin('cache', config.cache, context, load) : null
  // Look-ups of a server registry go through the cache's shared values; the embedded SQLite
  // registry answers faster than any cache tier, so its look-ups are not cached.
  // Through an asset server, every look-up asks it (a change made by another client is seen at
  // once), and the actor is the token's, whatever this config or `--as` claims.
  const metadataTtl = config.registry.type === 'sqlite' || registry.server ? 0 : (options.metadataTtl ?? config.cache.ttl)
  let actor: Actor
  try {
    actor = registry.server ? await registry.server.whoami() : (options.actor ?? actorFor(config))
  } catch (error) {
    await Promise.allSettled([storage.close(), registry.close(), cache?.close()])
    throw error
  }
  return new BaseAssetManager(
    {
      storage,
      registry,
      cache,
      referenceReaders: createReferenceReaders(context, load),
      metadataTtl,
      logger: context.logger,
      scratchDir: join(config.cacheDir, 'scratch'),
      namedDir: join(config.cacheDir, 'named'),
    },
    actor,
  )
}
