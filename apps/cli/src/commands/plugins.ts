import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AssetConfig, ConfigInvalidError, listBuiltinPlugins, type PluginKind, resolvePluginPackage } from '@assets/core'
import type { CommandContext } from '../context.js'
import { table } from '../output.js'

interface Installed {
  version: string | null
  path: string
}

/** Where a package resolves from the CLI (else from the working directory), like the importer. */
function installed(specifier: string): Installed | null {
  let entry: string | undefined
  try {
    entry = fileURLToPath(import.meta.resolve(specifier))
  } catch {
    try {
      entry = createRequire(join(process.cwd(), 'noop.js')).resolve(specifier)
    } catch {
      return null
    }
  }
  // The package's folder: the nearest package.json above the entry file that names it.
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name !== undefined) return { version: pkg.name === specifier ? (pkg.version ?? null) : null, path: dir }
    } catch {
      // no package.json here: keep climbing
    }
  }
  return { version: null, path: dirname(entry) }
}

interface PluginRow {
  kind: PluginKind
  name: string
  packageName: string
  builtin: boolean
  installed: boolean
  version: string | null
  path: string | null
  selected: boolean
}

export async function plugins(ctx: CommandContext): Promise<number> {
  let config: AssetConfig | null = null
  try {
    config = AssetConfig.load()
  } catch (error) {
    if (!ConfigInvalidError.isInstance(error)) throw error
    ctx.out.note('the config is invalid, so no plugin is shown as selected (run: assets config check)')
  }
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
  const row = (kind: PluginKind, name: string, packageName: string, builtin: boolean): PluginRow => {
    const found = installed(packageName)
    return {
      kind,
      name,
      packageName,
      builtin,
      installed: found !== null,
      version: found?.version ?? null,
      path: found?.path ?? null,
      selected: selected.get(kind) === packageName,
    }
  }
  const rows = listBuiltinPlugins().map((p) => row(p.kind, p.name, p.packageName, true))
  // A third-party plugin the config names is listed too, installed or not.
  for (const [kind, specifier] of selected) {
    if (!rows.some((r) => r.kind === kind && r.packageName === specifier)) rows.push(row(kind, specifier, specifier, false))
  }
  ctx.out.result({ plugins: rows }, () =>
    table(
      ['KIND', 'NAME', 'PACKAGE', 'INSTALLED', 'SELECTED'],
      rows.map((r) => [r.kind, r.name, r.packageName, r.installed ? (r.version ?? 'yes') : 'no', r.selected ? 'yes' : '']),
    ),
  )
  return 0
}
