import { readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

/** A package found on disk, and the file an ESM `import` of the specifier loads. */
export interface ResolvedPackage {
  /** The package folder as found (under pnpm, often a symlink). */
  dir: string
  name: string | undefined
  version: string | undefined
  /** The file to import. */
  entry: string
}

/** The conditions Node's ESM loader matches in `exports`, the way `import()` would. */
const CONDITIONS = new Set(['node', 'import', 'default', 'node-addons'])

// npm's rules for a package name, plus an optional subpath (`@acme/pkg/storage`).
const PACKAGE_SPECIFIER = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(?:\/[A-Za-z0-9._~-]+)*$/

/** `@scope/name/sub/path` → `{ name: '@scope/name', subpath: './sub/path' }`. */
export function splitSpecifier(specifier: string): { name: string; subpath: string } {
  if (specifier.length > 214 || !PACKAGE_SPECIFIER.test(specifier) || specifier.split('/').includes('..')) {
    throw new Error(`not a package specifier: ${JSON.stringify(specifier)}`)
  }
  const parts = specifier.split('/')
  const size = specifier.startsWith('@') ? 2 : 1
  const rest = parts.slice(size)
  return { name: parts.slice(0, size).join('/'), subpath: rest.length === 0 ? '.' : `./${rest.join('/')}` }
}

/**
 * The package folders Node would try for `name` from a file in `fromDir`: `node_modules/name`
 * in that folder and every folder above it (a folder that is itself `node_modules` is skipped).
 */
export function* packageCandidates(name: string, fromDir: string): Generator<string> {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') yield join(dir, 'node_modules', name)
    if (dirname(dir) === dir) return
  }
}

/**
 * Finds `specifier` from `fromDir` as Node's ESM resolver would, without importing anything;
 * undefined when no such package is installed there. `alsoDirect` also tries `fromDir/name`
 * first, for a folder that holds packages itself (a global `node_modules`, a plugin folder).
 * Throws when the package is there but does not export the subpath, or its entry is missing.
 */
export function findPackage(specifier: string, fromDir: string, alsoDirect = false): ResolvedPackage | undefined {
  const { name, subpath } = splitSpecifier(specifier)
  const direct = alsoDirect ? [join(resolve(fromDir), name)] : []
  for (const dir of [...direct, ...packageCandidates(name, fromDir)]) {
    if (isDirectory(dir)) return packageAt(dir, subpath)
  }
  return undefined
}

/** The package in folder `dir` and the file that importing `subpath` of it loads. */
export function packageAt(dir: string, subpath = '.'): ResolvedPackage {
  const manifest = readManifest(dir)
  const relative = manifest.exports !== undefined ? exportTarget(manifest.exports, subpath, dir) : legacyTarget(manifest.main, subpath)
  const entry = existingFile(join(dir, relative))
  if (entry === undefined) throw resolveError('ERR_MODULE_NOT_FOUND', `Cannot find module '${join(dir, relative)}', the entry of package '${dir}'`)
  return { dir, name: stringField(manifest.name), version: stringField(manifest.version), entry }
}

interface Manifest {
  name?: unknown
  version?: unknown
  main?: unknown
  exports?: unknown
}

function readManifest(dir: string): Manifest {
  let text: string
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8')
  } catch {
    return {} // a folder without package.json imports its index.js, as Node's folder rule says
  }
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null ? (parsed as Manifest) : {}
  } catch (error) {
    throw resolveError('ERR_INVALID_PACKAGE_CONFIG', `Invalid package config ${join(dir, 'package.json')}: ${(error as Error).message}`)
  }
}

/** The target `exports` gives a subpath under the ESM conditions; throws when it is not exported. */
function exportTarget(exports: unknown, subpath: string, dir: string): string {
  const map = isSubpathMap(exports) ? (exports as Record<string, unknown>) : { '.': exports }
  let target: string | undefined
  if (Object.hasOwn(map, subpath)) target = conditionalTarget(map[subpath], '')
  else {
    // Pattern keys (`./features/*`): the one with the longest prefix wins, as in Node.
    const patterns = Object.keys(map)
      .filter((key) => key.split('*').length === 2)
      .map((key) => ({ key, prefix: key.slice(0, key.indexOf('*')), suffix: key.slice(key.indexOf('*') + 1) }))
      .filter((p) => subpath.startsWith(p.prefix) && subpath.endsWith(p.suffix) && subpath.length >= p.prefix.length + p.suffix.length)
      .sort((a, b) => b.prefix.length - a.prefix.length)
    const best = patterns[0]
    if (best !== undefined) {
      const star = subpath.slice(best.prefix.length, subpath.length - best.suffix.length)
      target = conditionalTarget(map[best.key], star)
    }
  }
  if (target === undefined) {
    throw resolveError('ERR_PACKAGE_PATH_NOT_EXPORTED', `Package subpath '${subpath}' is not defined by "exports" in ${join(dir, 'package.json')}`)
  }
  // A target must stay inside its package: `./` and no `..` or `node_modules` segment.
  const segments = target.split('/').slice(1)
  if (!target.startsWith('./') || segments.some((s) => s === '..' || s === '.' || s === 'node_modules')) {
    throw resolveError('ERR_INVALID_PACKAGE_TARGET', `Invalid "exports" target ${JSON.stringify(target)} in ${join(dir, 'package.json')}`)
  }
  return target
}

function isSubpathMap(exports: unknown): boolean {
  if (typeof exports !== 'object' || exports === null || Array.isArray(exports)) return false
  return Object.keys(exports).some((key) => key.startsWith('.'))
}

/** A string, an array of fallbacks, or conditions in the package's own order; null excludes. */
function conditionalTarget(value: unknown, star: string): string | undefined {
  if (typeof value === 'string') return value.replaceAll('*', star)
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = conditionalTarget(item, star)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof value === 'object' && value !== null) {
    for (const [condition, nested] of Object.entries(value)) {
      if (!CONDITIONS.has(condition)) continue
      const found = conditionalTarget(nested, star)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** Without `exports`: `main` (or index.js) for the package, the path itself for a subpath. */
function legacyTarget(main: unknown, subpath: string): string {
  if (subpath !== '.') return subpath
  return typeof main === 'string' && main !== '' ? main : 'index.js'
}

/** The file itself, else with `.js`, else its folder's `index.js` (Node's rules for `main`). */
function existingFile(path: string): string | undefined {
  for (const candidate of [path, `${path}.js`, join(path, 'index.js')]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not this one
    }
  }
  return undefined
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function resolveError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

