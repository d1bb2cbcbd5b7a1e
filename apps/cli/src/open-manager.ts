import { AssetConfig, actorFor, type BaseAssetManager, createAssetManager, type Logger, PluginSearch, redactUrl } from '@assets/core'
import type { GlobalOptions } from './args.js'
import { escapeControl } from './output.js'

/**
 * Where the command finds plugins: the built-in ones it ships first (they come with it, in the
 * workspace and in `npm i -g @assets/cli` alike); any other package from the config's plugin
 * paths, then next to the command, then the working directory's project.
 */
export function pluginSearch(config: AssetConfig): PluginSearch {
  return new PluginSearch({ bundledWith: import.meta.url, pluginPaths: config.pluginPaths })
}

// A plugin's warning may quote a URL or a server's answer: its secrets and control characters never reach the terminal.
export function cliLogger(globals: GlobalOptions): Logger {
  return { warn: (message) => (globals.quiet ? undefined : process.stderr.write(`warning: ${escapeControl(redactUrl(message))}\n`)) }
}

/**
 * The stack the config selects, acting as `--as`, else ASSETS_USER / the config's identity, else
 * the OS user. A config.yaml or .env in an untrusted working folder is left out with a warning.
 */
export async function openManager(globals: GlobalOptions): Promise<{ manager: BaseAssetManager; config: AssetConfig }> {
  const config = await AssetConfig.loadAsync({ logger: cliLogger(globals) })
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
