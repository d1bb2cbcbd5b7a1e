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
export async function openManager(
  globals: GlobalOptions,
  options: { serving?: boolean } = {},
): Promise<{ manager: BaseAssetManager; config: AssetConfig }> {
  const config = await AssetConfig.loadAsync({ logger: cliLogger(globals) })
  const actor = actorFor(config, globals.as)
  // A server's look-ups cached on its own disk would hide, for their TTL, a change made through
  // another server process; a shared cache tier (Redis, Memcached, S3) is invalidated by every writer.
  const metadataTtl = options.serving && config.cache.type === 'local' ? 0 : undefined
  const manager = await createAssetManager(config, { importer: pluginSearch(config).importer, actor, logger: cliLogger(globals), metadataTtl })
  // Through a server the token decides who acts; a claim here would mislead whoever typed it.
  if (manager.registry.server && (globals.as !== undefined || config.identity.user !== undefined) && manager.actor.user !== actor.user) {
    cliLogger(globals).warn(`acting as "${manager.actor.user}", the user of ASSETS_TOKEN: --as and ASSETS_USER mean nothing through an asset server`)
  }
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
