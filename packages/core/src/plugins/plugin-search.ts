import { readdirSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { folderTrust } from '../config/folder-trust.js'
import type { PluginKind } from '../contracts/index.js'
import { findPackage, isFile, nodeModulesFolders, packageAt, type ResolvedPackage } from './package-resolver.js'

/** Imports a plugin module by specifier; tests and bundlers can substitute their own. */
export type PluginImporter = (specifier: string, options?: { builtin: boolean }) => Promise<unknown>

/**
 * Where a plugin package was found:
 * - `bundled`: next to the program that ships the built-in plugins (the `assets` command, or
 *   by default wherever @assets/core itself is installed), as Node resolves its own imports;
 * - `project`: the working directory's project: the `node_modules` folders from the working
 *   directory up to the nearest folder with a package.json, never above it — only when the
 *   user trusts the working directory (`assets trust`), or the code names the project;
 * - `plugin path`: a folder the config names in `pluginPaths` / `ASSETS_PLUGIN_PATH`, holding
 *   packages itself or in its own `node_modules`;
 * - `path`: the config's type is itself an absolute path or a file URL.
 */
export type PluginOrigin = 'bundled' | 'project' | 'plugin path' | 'path'

export interface SearchRoot {
  dir: string
  origin: PluginOrigin
}

export interface LocatedPlugin extends ResolvedPackage {
  specifier: string
  origin: PluginOrigin
}

/** A third-party plugin package found by its name, `assets-<kind>-<name>` (scoped or not). */
export interface InstalledPlugin extends LocatedPlugin {
  kind: PluginKind
}

export interface PluginSearchOptions {
  /**
   * A file or folder inside the program that ships the built-in plugins; the CLI passes its
   * own `import.meta.url`. Default: @assets/core's own folder.
   */
  bundledWith?: string | URL
  /**
   * The project whose packages are searched; null: none. Default: the working directory at
   * each look-up, when the user trusts it — a cloned repository's node_modules must not
   * supply the code a config name stands for.
   */
  project?: string | null
  /** Folders named by the config; each is searched as a folder of packages and as a project. */
  pluginPaths?: readonly string[]
  /** Locates the user's trust file (`XDG_CONFIG_HOME`, `HOME`); default: `process.env`. */
  env?: Record<string, string | undefined>
}

// By this convention `assets plugins` can list a third-party plugin without importing it.
const PLUGIN_NAME = /^assets-(storage|cache|registry)-[a-z0-9][a-z0-9._~-]*$/

/**
 * Finds plugin packages without Node's resolution being tied to one file's location: under pnpm
 * (and in a global install) `import()` from core cannot see the CLI's, the project's or a plugin
 * folder's packages. Built-in types prefer the copy the program ships, which matches its core;
 * any other package the folders the config names, then the copy installed with the program, and
 * only then the working directory's project — a folder the user merely stands in comes last, and
 * its search stops at the project's root instead of climbing to `/`.
 */
export class PluginSearch {
  readonly #bundled: string
  readonly #project: string | null | undefined
  readonly #pluginPaths: readonly string[]
  readonly #env: Record<string, string | undefined> | undefined

  constructor(options: PluginSearchOptions = {}) {
    this.#bundled = folderOf(options.bundledWith ?? import.meta.url)
    this.#project = options.project
    this.#pluginPaths = (options.pluginPaths ?? []).map((p) => resolve(p))
    this.#env = options.env
  }

  /** The places searched, in order, for a built-in type's package or for any other package. */
  roots(builtin: boolean): SearchRoot[] {
    const bundled: SearchRoot = { dir: this.#bundled, origin: 'bundled' }
    const dir = this.#projectDir()
    const project: SearchRoot[] = dir === undefined ? [] : [{ dir, origin: 'project' }]
    const paths = this.#pluginPaths.map((dir): SearchRoot => ({ dir, origin: 'plugin path' }))
    const ordered = builtin ? [bundled, ...project, ...paths] : [...paths, bundled, ...project]
    return ordered.filter((root, i) => ordered.findIndex((r) => r.dir === root.dir) === i)
  }

  #projectDir(): string | undefined {
    if (this.#project === null) return undefined
    if (this.#project !== undefined) return resolve(this.#project)
    const cwd = process.cwd()
    return folderTrust(cwd, { env: this.#env }) === 'trusted' ? cwd : undefined
  }

  /** Where an untrusted working directory's project holds `specifier`, which was not used. */
  #untrustedCopy(specifier: string): string | undefined {
    if (this.#project !== undefined || pathOf(specifier) !== undefined) return undefined
    const cwd = process.cwd()
    if (this.#projectDir() !== undefined) return undefined
    try {
      return findPackage(specifier, foldersOf({ dir: cwd, origin: 'project' }))?.dir
    } catch {
      return undefined
    }
  }

  /** Where `specifier` (a package name, an absolute path or a file URL) is; undefined if nowhere. */
  locate(specifier: string, builtin = false): LocatedPlugin | undefined {
    const path = pathOf(specifier)
    if (path !== undefined) {
      const stat = statSync(path, { throwIfNoEntry: false })
      if (stat === undefined) return undefined
      const found = stat.isDirectory() ? packageAt(path) : { dir: dirname(path), name: undefined, version: undefined, entry: path }
      return { ...found, specifier, origin: 'path' }
    }
    for (const root of this.roots(builtin)) {
      const found = findPackage(specifier, foldersOf(root))
      if (found !== undefined) return { ...found, specifier, origin: root.origin }
    }
    return undefined
  }

  /**
   * Imports what `locate` finds. A package found nowhere fails as Node's own import does
   * (`ERR_MODULE_NOT_FOUND`, naming the package), with the folders searched in `searched`.
   */
  readonly importer: PluginImporter = async (specifier, options) => {
    const builtin = options?.builtin ?? false
    const found = this.locate(specifier, builtin)
    if (found === undefined) {
      const searched = pathOf(specifier) === undefined ? this.roots(builtin).map((r) => r.dir) : []
      const untrusted = this.#untrustedCopy(specifier)
      throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND', searched, untrusted })
    }
    return import(pathToFileURL(found.entry).href)
  }

  /** Third-party plugins installed where this search looks, first copy of each name, unimported. */
  installed(): InstalledPlugin[] {
    const seen = new Map<string, InstalledPlugin>()
    for (const root of this.roots(false)) {
      for (const folder of foldersOf(root)) {
        for (const name of pluginNamesIn(folder)) {
          if (seen.has(name)) continue
          try {
            const found = packageAt(join(folder, name))
            seen.set(name, { ...found, specifier: name, origin: root.origin, kind: kindOf(name) })
          } catch {
            // A broken package is not listed; selecting it reports why.
          }
        }
      }
    }
    return [...seen.values()]
  }
}

/** An absolute path or a file URL names a plugin directly. */
function pathOf(specifier: string): string | undefined {
  if (specifier.startsWith('file:')) return fileURLToPath(specifier)
  return isAbsolute(specifier) ? specifier : undefined
}

function folderOf(location: string | URL): string {
  const path = typeof location === 'string' && !location.startsWith('file:') ? location : fileURLToPath(location)
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ? path : dirname(path)
}

/** The folders that hold a root's packages, nearest first. */
function foldersOf(root: SearchRoot): string[] {
  if (root.origin === 'plugin path') return [root.dir, join(root.dir, 'node_modules')]
  if (root.origin === 'project') return [...nodeModulesFolders(root.dir, projectRoot(root.dir))]
  return [...nodeModulesFolders(root.dir)]
}

/** The nearest folder at or above `dir` with a package.json; `dir` itself when there is none. */
function projectRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (isFile(join(d, 'package.json'))) return d
    if (dirname(d) === d) return dir
  }
}

function pluginNamesIn(folder: string): string[] {
  const names: string[] = []
  for (const entry of readNames(folder)) {
    if (PLUGIN_NAME.test(entry)) names.push(entry)
    else if (entry.startsWith('@')) {
      for (const scoped of readNames(join(folder, entry))) if (PLUGIN_NAME.test(scoped)) names.push(`${entry}/${scoped}`)
    }
  }
  return names.sort()
}

function readNames(folder: string): string[] {
  try {
    return readdirSync(folder)
  } catch {
    return []
  }
}

function kindOf(name: string): PluginKind {
  return PLUGIN_NAME.exec(basename(name))?.[1] as PluginKind
}
