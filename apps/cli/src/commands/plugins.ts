import {
  AssetConfig,
  ConfigInvalidError,
  type LocatedPlugin,
  listBuiltinPlugins,
  type PluginKind,
  type PluginOrigin,
  type PluginSearch,
  resolvePluginPackage,
} from '@assets/core'
import type { CommandContext } from '../context.js'
import { cliLogger, pluginSearch } from '../open-manager.js'
import { table } from '../output.js'

interface PluginRow {
  kind: PluginKind
  name: string
  packageName: string
  builtin: boolean
  installed: boolean
  version: string | null
  /** Where it was found: next to the command (`bundled`), the project, a plugin path, or a path. */
  origin: PluginOrigin | null
  /** The package's folder. */
  path: string | null
  selected: boolean
  /** Why a package that is there cannot be resolved (a broken manifest, a missing entry). */
  problem?: string
}

/**
 * Every built-in plugin, every third-party plugin installed where the command looks (by the
 * `assets-<kind>-<name>` naming convention) and the plugins the config selects — with where
 * each was found. Nothing is imported: listing runs no plugin code.
 */
export async function plugins(ctx: CommandContext): Promise<number> {
  let config: AssetConfig | null = null
  try {
    config = await AssetConfig.loadAsync({ logger: cliLogger(ctx.globals) })
  } catch (error) {
    if (!ConfigInvalidError.isInstance(error)) throw error
    ctx.out.note('the config is invalid, so no plugin is shown as selected and no plugin path is searched (run: assets config check)')
  }
  const search = pluginSearch(config ?? AssetConfig.fromObject({}))
  const selected = new Map<PluginKind, string>()
  if (config) {
    for (const kind of ['storage', 'registry', 'cache'] as const) {
      if (kind === 'cache' && !config.cache.enabled) continue
      try {
        selected.set(kind, resolvePluginPackage(kind, config[kind].type).specifier)
      } catch {
        selected.set(kind, config[kind].type)
      }
    }
  }
  const rows = listBuiltinPlugins().map((p) => row(search, p.kind, p.name, p.packageName, true, selected))
  for (const found of search.installed()) {
    rows.push(describe(found.kind, found.specifier, found.specifier, false, selected, found))
  }
  // A third-party plugin the config names is listed too, installed or not.
  for (const [kind, specifier] of selected) {
    if (!rows.some((r) => r.kind === kind && r.packageName === specifier)) rows.push(row(search, kind, specifier, specifier, false, selected))
  }
  ctx.out.result({ plugins: rows }, () =>
    table(
      ['KIND', 'NAME', 'PACKAGE', 'VERSION', 'FOUND', 'SELECTED'],
      rows.map((r) => [
        r.kind,
        r.name,
        r.packageName,
        r.installed ? (r.version ?? '?') : r.problem !== undefined ? 'broken' : 'not installed',
        r.path === null ? '' : `${r.origin}: ${r.path}`,
        r.selected ? 'yes' : '',
      ]),
    ),
  )
  return 0
}

function row(search: PluginSearch, kind: PluginKind, name: string, packageName: string, builtin: boolean, selected: Map<PluginKind, string>): PluginRow {
  try {
    return describe(kind, name, packageName, builtin, selected, search.locate(packageName, builtin))
  } catch (error) {
    const base = describe(kind, name, packageName, builtin, selected, undefined)
    return { ...base, problem: error instanceof Error ? error.message : String(error) }
  }
}

function describe(
  kind: PluginKind,
  name: string,
  packageName: string,
  builtin: boolean,
  selected: Map<PluginKind, string>,
  found: LocatedPlugin | undefined,
): PluginRow {
  return {
    kind,
    name,
    packageName,
    builtin,
    installed: found !== undefined,
    version: found?.version ?? null,
    origin: found?.origin ?? null,
    path: found?.dir ?? null,
    selected: selected.get(kind) === packageName,
  }
}
