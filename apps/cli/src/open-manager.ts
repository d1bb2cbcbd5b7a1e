import { createRequire } from 'node:module'
import { isAbsolute, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { AssetConfig, actorFor, type BaseAssetManager, createAssetManager, type Logger, type PluginImporter } from '@assets/core'
import type { GlobalOptions } from './args.js'

/**
 * Imports plugin packages from the CLI's own location, so that a plugin installed next to the
 * CLI (`npm i -g @assets/cli @assets/storage-s3`) is found; then, like core's default importer,
 * from the working directory, where a project's own plugins live.
 */
export const cliImporter: PluginImporter = async (specifier) => {
  if (isAbsolute(specifier)) return import(pathToFileURL(specifier).href)
  try {
    return await import(specifier)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT') throw error
    let file: string
    try {
      file = createRequire(join(process.cwd(), 'noop.js')).resolve(specifier)
    } catch {
      // The first error names the package the way core's "install X" message expects.
      throw error
    }
    return import(pathToFileURL(file).href)
  }
}

export function cliLogger(globals: GlobalOptions): Logger {
  return { warn: (message) => (globals.quiet ? undefined : process.stderr.write(`warning: ${message}\n`)) }
}

/** The stack the config selects, acting as `--as`, else ASSETS_USER / the config's identity, else the OS user. */
export async function openManager(globals: GlobalOptions): Promise<{ manager: BaseAssetManager; config: AssetConfig }> {
  const config = AssetConfig.load()
  const actor = actorFor(config, globals.as)
  const manager = await createAssetManager(config, { importer: cliImporter, actor, logger: cliLogger(globals) })
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
