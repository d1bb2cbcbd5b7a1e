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

/**
 * The conditions Node's ESM loader matches in `exports`, as `import()` would: `module-sync`
 * where Node can require ES modules (20.19+, 22.12+).
 */
const CONDITIONS = new Set(['node', 'import', 'default', 'node-addons', ...((process.features as { require_module?: boolean }).require_module ? ['module-sync'] : [])])

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
 * The `node_modules` folders Node would look in from a file in `fromDir`: the one in that folder
 * and in every folder above it, up to `stopAt` when given (a folder that is itself
 * `node_modules` gets none of its own).
 */
export function* nodeModulesFolders(fromDir: string, stopAt?: string): Generator<string> {
  const last = stopAt === undefined ? undefined : resolve(stopAt)
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') yield join(dir, 'node_modules')
    if (dir === last || dirname(dir) === dir) return
  }
}

/**
 * The package `specifier` names in the first of `folders` that holds it, and the file that
 * importing it loads, as Node's ESM resolver finds them; nothing is imported. Undefined when no
 * folder holds the package. Throws when the package is there but does not export the subpath,
 * or its entry is missing.
 */
export function findPackage(specifier: string, folders: Iterable<string>): ResolvedPackage | undefined {
  const { name, subpath } = splitSpecifier(specifier)
  for (const folder of folders) {
    const dir = join(folder, name)
    if (isDirectory(dir)) return packageAt(dir, subpath)
  }
  return undefined
}

/** The package in folder `dir` and the file that importing `subpath` of it loads. */
export function packageAt(dir: string, subpath = '.'): ResolvedPackage {
  const manifest = readManifest(dir)
  // `exports: null` is as if there were none (Node's rule).
  const entry =
    manifest.exports !== undefined && manifest.exports !== null
      ? exportedFile(dir, exportTarget(manifest.exports, subpath, dir))
      : legacyFile(dir, manifest.main, subpath)
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
  let target: string | null | undefined
  if (Object.hasOwn(map, subpath) && !subpath.includes('*')) target = conditionalTarget(map[subpath], '', dir)
  else {
    // Pattern keys (`./features/*`): the longest prefix wins, then the longest key (Node's PATTERN_KEY_COMPARE).
    const best = Object.keys(map)
      .filter((key) => key.split('*').length === 2)
      .map((key) => ({ key, prefix: key.slice(0, key.indexOf('*')), suffix: key.slice(key.indexOf('*') + 1) }))
      .filter((p) => subpath.startsWith(p.prefix) && subpath.endsWith(p.suffix) && subpath.length >= p.prefix.length + p.suffix.length && subpath !== p.prefix)
      .sort((a, b) => b.prefix.length - a.prefix.length || b.key.length - a.key.length)[0]
    if (best !== undefined) target = conditionalTarget(map[best.key], subpath.slice(best.prefix.length, subpath.length - best.suffix.length), dir)
  }
  if (target === undefined || target === null) {
    throw resolveError('ERR_PACKAGE_PATH_NOT_EXPORTED', `Package subpath '${subpath}' is not defined by "exports" in ${join(dir, 'package.json')}`)
  }
  return target
}

function isSubpathMap(exports: unknown): boolean {
  if (typeof exports !== 'object' || exports === null || Array.isArray(exports)) return false
  return Object.keys(exports).some((key) => key.startsWith('.'))
}

/**
 * Node's PACKAGE_TARGET_RESOLVE: a string target (checked to stay inside the package), an array
 * of fallbacks (invalid ones skipped), or conditions in the package's own order, where the first
 * matching condition decides — `null` there excludes the subpath. Undefined: nothing matched.
 */
function conditionalTarget(value: unknown, star: string, dir: string): string | null | undefined {
  if (typeof value === 'string') return checkedTarget(value, star, dir)
  if (value === null) return null
  if (Array.isArray(value)) {
    let last: string | null | undefined
    for (const item of value) {
      try {
        last = conditionalTarget(item, star, dir)
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_INVALID_PACKAGE_TARGET') throw error
        continue
      }
      if (typeof last === 'string') return last
    }
    return last
  }
  if (typeof value === 'object') {
    for (const [condition, nested] of Object.entries(value)) {
      if (!CONDITIONS.has(condition)) continue
      const found = conditionalTarget(nested, star, dir)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** A target must stay inside its package: `./`, no `.`, `..` or `node_modules` segment. */
function checkedTarget(target: string, star: string, dir: string): string {
  const bad = (t: string) => !t.startsWith('./') || t.split('/').slice(1).some((s) => s === '..' || s === '.' || s.toLowerCase() === 'node_modules')
  const resolved = target.replaceAll('*', star)
  if (bad(target) || bad(resolved)) {
    throw resolveError('ERR_INVALID_PACKAGE_TARGET', `Invalid "exports" target ${JSON.stringify(target)} in ${join(dir, 'package.json')}`)
  }
  return resolved
}

/** An exported target is used exactly as written: no extension or index.js is guessed. */
function exportedFile(dir: string, target: string): string {
  const path = join(dir, target)
  if (!isFile(path)) throw resolveError('ERR_MODULE_NOT_FOUND', `Cannot find module '${path}', the entry of package '${dir}'`)
  return path
}

/**
 * Without `exports`, Node's legacy rules: for the package, `main` (as given, then with `.js`, then
 * its `index.js`), else `index.js`; a subpath is a file as written.
 */
function legacyFile(dir: string, main: unknown, subpath: string): string {
  const candidates =
    subpath !== '.'
      ? [join(dir, subpath)]
      : [...(typeof main === 'string' && main !== '' ? [join(dir, main), `${join(dir, main)}.js`, join(dir, main, 'index.js')] : []), join(dir, 'index.js')]
  const found = candidates.find(isFile)
  if (found === undefined) throw resolveError('ERR_MODULE_NOT_FOUND', `Cannot find module '${candidates[0]}', the entry of package '${dir}'`)
  return found
}

/** True for a regular file; false for anything else, missing or unreadable. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
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
