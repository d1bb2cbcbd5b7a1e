import { AssetConfig, actorFor, type BaseAssetManager, createAssetManager, type Logger, PluginSearch } from '@assets/core'
import type { GlobalOptions } from './args.js'

/**
 * Where the command finds plugins: the built-in ones it ships first (they come with it, in the
 * workspace and in `npm i -g @assets/cli` alike); any other package from the config's plugin
 * paths, then next to the command, then the working directory's project.
 */
export function pluginSearch(config: AssetConfig): PluginSearch {
  return new PluginSearch({ bundledWith: import.meta.url, pluginPaths: config.pluginPaths })
}

export function cliLogger(globals: GlobalOptions): Logger {
  return { warn: (message) => (globals.quiet ? undefined : process.stderr.write(`warning: ${message}\n`)) }
}

/** The stack the config selects, acting as `--as`, else ASSETS_USER / the config's identity, else the OS user. */
export async function openManager(globals: GlobalOptions): Promise<{ manager: BaseAssetManager; config: AssetConfig }> {
  const config = AssetConfig.load()
  const actor = actorFor(config, globals.as)
  const manager = await createAssetManager(config, { importer: pluginSearch(config).importer, actor, logger: cliLogger(globals) })
  return { manager, config }
}

/** Runs `fn` on a manager and closes it whatever happens (SQLite and caches flush on close). */
export async function withManager<T>(globals: GlobalOptions, fn: (manager: BaseAssetManager, config: AssetConfig) => Promise<T>): Promise<T> {
  const { manager, config } = await openManager(globals)
  try {
    return await fn(manager, config)
  } finally {
    await manager.close()
  }
}
