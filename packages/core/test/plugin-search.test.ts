import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findPackage, nodeModulesFolders, packageAt, splitSpecifier } from '../src/plugins/package-resolver.js'
import { PluginSearch } from '../src/plugins/plugin-search.js'
import { revokeFolder, trustFolder } from '../src/config/folder-trust.js'

// A machine in a folder: a command that ships a built-in plugin, a project with its own copies
// and a third-party plugin, and a plugin folder named by config.
let root: string
let cli: string
let project: string
let pluginFolder: string

/** Writes a package whose entry exports `{ copy }`, so a test can tell which copy was imported. */
function pkg(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = { 'index.js': '' }): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', version: '1.0.0', ...manifest }))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text || `export const copy = ${JSON.stringify(dir)}\n`)
  }
  return dir
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'assets-plugin-search-')))
  cli = join(root, 'cli')
  project = join(root, 'project')
  pluginFolder = join(root, 'plugins')
  mkdirSync(join(cli, 'dist'), { recursive: true })
  writeFileSync(join(cli, 'dist', 'bin.js'), '')
  mkdirSync(join(project, 'src'), { recursive: true })
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'project', private: true }))
  pkg(join(cli, 'node_modules', '@assets', 'storage-s3'), { name: '@assets/storage-s3', version: '2.0.0' })
  pkg(join(project, 'node_modules', '@assets', 'storage-s3'), { name: '@assets/storage-s3', version: '1.5.0' })
  // ESM only, as our template says: only `import` — which a require-based lookup cannot see.
  pkg(
    join(project, 'node_modules', '@acme', 'assets-storage-gcs'),
    {
      name: '@acme/assets-storage-gcs',
      exports: {
        '.': { types: './dist/index.d.ts', require: './dist/index.cjs', import: './dist/index.js' },
        './drivers/*': { import: './dist/drivers/*.js' },
        './drivers/internal/*': null,
        './escape': './../outside.js',
      },
    },
    { 'dist/index.js': '', 'dist/index.cjs': 'module.exports = "cjs"', 'dist/drivers/fast.js': '', 'dist/drivers/internal/x.js': '' },
  )
  pkg(join(cli, 'node_modules', '@acme', 'assets-storage-gcs'), { name: '@acme/assets-storage-gcs', version: '0.9.0' })
  // A plugin folder holding packages directly (like a global node_modules), and one installed into it.
  pkg(join(pluginFolder, '@acme', 'assets-storage-gcs'), { name: '@acme/assets-storage-gcs', version: '3.0.0', main: 'lib/main.js' }, { 'lib/main.js': '' })
  pkg(join(pluginFolder, 'node_modules', 'assets-cache-fast'), { name: 'assets-cache-fast', version: '0.1.0' })
  pkg(join(project, 'node_modules', 'assets-registry-lab'), { name: 'assets-registry-lab', version: '4.2.0' })
  pkg(join(project, 'node_modules', 'left-pad'), { name: 'left-pad' })
  pkg(join(project, 'node_modules', 'assets-storage-broken'), { name: 'assets-storage-broken', main: 'missing.js' }, {})
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const search = () => new PluginSearch({ bundledWith: pathToFileURL(join(cli, 'dist', 'bin.js')), project: join(project, 'src'), pluginPaths: [pluginFolder] })

describe('where a plugin is looked for', () => {
  it('a built-in type takes the copy the program ships, before the project’s', () => {
    const found = search().locate('@assets/storage-s3', true)
    expect(found).toMatchObject({ origin: 'bundled', version: '2.0.0', dir: join(cli, 'node_modules', '@assets', 'storage-s3') })
    expect(search().roots(true).map((r) => r.origin)).toEqual(['bundled', 'project', 'plugin path'])
  })

  it('any other package: the config’s plugin paths, then next to the program, then the project', () => {
    expect(search().roots(false).map((r) => r.origin)).toEqual(['plugin path', 'bundled', 'project'])
    expect(search().locate('@acme/assets-storage-gcs')).toMatchObject({ origin: 'plugin path', version: '3.0.0' })
    const noPath = new PluginSearch({ bundledWith: cli, project })
    expect(noPath.locate('@acme/assets-storage-gcs')).toMatchObject({ origin: 'bundled', version: '0.9.0' })
    const projectOnly = new PluginSearch({ bundledWith: join(root, 'elsewhere'), project })
    expect(projectOnly.locate('@acme/assets-storage-gcs')).toMatchObject({ origin: 'project', entry: join(project, 'node_modules', '@acme', 'assets-storage-gcs', 'dist', 'index.js') })
  })

  it('the project search stops at the nearest package.json: a node_modules above it is never used', () => {
    // /tmp/node_modules on a shared machine: anyone can plant a package there.
    const above = join(root, 'shared')
    pkg(join(above, 'node_modules', 'assets-storage-planted'), { name: 'assets-storage-planted' })
    const app = join(above, 'app')
    pkg(app, { name: 'app' }, {})
    mkdirSync(join(app, 'src', 'deep'), { recursive: true })
    const inApp = new PluginSearch({ bundledWith: join(root, 'elsewhere'), project: join(app, 'src', 'deep') })
    expect(inApp.locate('assets-storage-planted')).toBeUndefined()
    expect([...nodeModulesFolders(join(app, 'src', 'deep'), app)]).toEqual([
      join(app, 'src', 'deep', 'node_modules'),
      join(app, 'src', 'node_modules'),
      join(app, 'node_modules'),
    ])
    // Without a package.json above it, only the working directory's own node_modules.
    const bare = new PluginSearch({ bundledWith: join(root, 'elsewhere'), project: join(above, 'loose') })
    mkdirSync(join(above, 'loose'), { recursive: true })
    expect(bare.locate('assets-storage-planted')).toBeUndefined()
  })

  it('a plugin path is also searched as a project (its node_modules)', () => {
    expect(search().locate('assets-cache-fast')).toMatchObject({ origin: 'plugin path', name: 'assets-cache-fast' })
  })

  it('the project is the working directory at each look-up when none is given, once the user trusts it', () => {
    const before = process.cwd()
    const env = { HOME: join(root, 'user-home') }
    const unbound = new PluginSearch({ bundledWith: root, env })
    try {
      process.chdir(project)
      expect(unbound.locate('assets-registry-lab')).toBeUndefined()
      trustFolder(project, { env })
      expect(unbound.locate('assets-registry-lab')).toMatchObject({ origin: 'project' })
      process.chdir(root)
      expect(unbound.locate('assets-registry-lab')).toBeUndefined()
    } finally {
      process.chdir(before)
      revokeFolder(project, { env })
    }
  })

  it('an absolute path or a file URL is used as it is; a missing one is not found', () => {
    const dir = join(project, 'node_modules', 'assets-registry-lab')
    expect(search().locate(dir)).toMatchObject({ origin: 'path', entry: join(dir, 'index.js') })
    expect(search().locate(pathToFileURL(join(dir, 'index.js')).href)).toMatchObject({ origin: 'path', entry: join(dir, 'index.js') })
    expect(search().locate(join(root, 'nothing-here'))).toBeUndefined()
  })
})

describe('importing', () => {
  it('imports the copy it found', async () => {
    const mod = (await search().importer('@assets/storage-s3', { builtin: true })) as { copy: string }
    expect(mod.copy).toBe(join(cli, 'node_modules', '@assets', 'storage-s3'))
  })

  it('a package found nowhere fails like Node, naming it and the folders searched', async () => {
    const error = (await search()
      .importer('@acme/assets-storage-none')
      .catch((e: unknown) => e)) as Error & { code: string; searched: string[] }
    expect(error.code).toBe('ERR_MODULE_NOT_FOUND')
    expect(error.message).toBe("Cannot find package '@acme/assets-storage-none'")
    expect(error.searched).toEqual([pluginFolder, join(cli, 'dist'), join(project, 'src')])
  })
})

describe('resolving a package’s entry as ESM import does', () => {
  const gcs = () => join(project, 'node_modules', '@acme', 'assets-storage-gcs')

  it('matches node/import/default conditions in the package’s order, never require', () => {
    expect(findPackage('@acme/assets-storage-gcs', [join(project, 'node_modules')])?.entry).toBe(join(gcs(), 'dist', 'index.js'))
  })

  it('expands subpath patterns and refuses what the package does not export or excludes', () => {
    expect(findPackage('@acme/assets-storage-gcs/drivers/fast', [join(project, 'node_modules')])?.entry).toBe(join(gcs(), 'dist', 'drivers', 'fast.js'))
    expect(() => findPackage('@acme/assets-storage-gcs/dist/index.js', [join(project, 'node_modules')])).toThrow(expect.objectContaining({ code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }))
    expect(() => findPackage('@acme/assets-storage-gcs/drivers/internal/x', [join(project, 'node_modules')])).toThrow(expect.objectContaining({ code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }))
  })

  it('follows Node where a simpler reading would not: null excludes, no guessed extensions, pattern ties, fallbacks', () => {
    const here = join(project, 'node_modules')
    const odd = (name: string, manifest: Record<string, unknown>, files: Record<string, string>) => pkg(join(here, name), { name, ...manifest }, files)
    odd('excluded', { exports: { '.': { node: null, default: './b.js' } } }, { 'b.js': '' })
    odd('no-extension', { exports: './dist/index' }, { 'dist/index.js': '' })
    odd('null-exports', { exports: null, main: 'lib.js' }, { 'lib.js': '' })
    odd('patterns', { exports: { './a/*': './star.js', './a/*.js': './star-js/*.js' } }, { 'star.js': '', 'star-js/x.js': '' })
    odd('fallbacks', { exports: { '.': ['std:x', './ok.js'] } }, { 'ok.js': '' })
    odd('main-missing', { main: 'gone.js' }, { 'index.js': '' })
    // Node's own answer for each, from a module in the project: the file, or the error code.
    const nodeSays = (specifier: string) => {
      const s = JSON.stringify(specifier)
      const script = `try { const url = import.meta.resolve(${s}); await import(${s}); console.log(new URL(url).pathname) } catch (e) { console.log(e.code) }`
      return execFileSync(process.execPath, ['--no-deprecation', '--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' }).trim()
    }
    const oursSays = (specifier: string) => {
      try {
        return findPackage(specifier, [here])?.entry
      } catch (error) {
        return (error as { code: string }).code
      }
    }
    const specifiers = ['excluded', 'no-extension', 'null-exports', 'patterns/a/x.js', 'fallbacks', 'main-missing']
    expect(specifiers.map(oursSays)).toEqual([
      'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'ERR_MODULE_NOT_FOUND',
      join(here, 'null-exports', 'lib.js'),
      join(here, 'patterns', 'star-js', 'x.js'),
      join(here, 'fallbacks', 'ok.js'),
      join(here, 'main-missing', 'index.js'),
    ])
    expect(specifiers.map(nodeSays)).toEqual(specifiers.map(oursSays))
  })

  it('refuses an exports target that leaves the package', () => {
    expect(() => findPackage('@acme/assets-storage-gcs/escape', [join(project, 'node_modules')])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PACKAGE_TARGET' }))
  })

  it('without exports: main, else index.js; a folder without package.json is its index.js', () => {
    expect(packageAt(join(pluginFolder, '@acme', 'assets-storage-gcs')).entry).toBe(join(pluginFolder, '@acme', 'assets-storage-gcs', 'lib', 'main.js'))
    const bare = join(root, 'bare')
    mkdirSync(bare, { recursive: true })
    writeFileSync(join(bare, 'index.js'), '')
    expect(packageAt(bare)).toEqual({ dir: bare, name: undefined, version: undefined, entry: join(bare, 'index.js') })
  })

  it('a package whose entry is missing is an error, not a miss', () => {
    expect(() => findPackage('assets-storage-broken', [join(project, 'node_modules')])).toThrow(expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }))
  })

  it('splits specifiers and refuses what is no package name', () => {
    expect(splitSpecifier('@a/b/c/d')).toEqual({ name: '@a/b', subpath: './c/d' })
    expect(splitSpecifier('pkg')).toEqual({ name: 'pkg', subpath: '.' })
    for (const bad of ['../x', 'pkg/../../etc', '/abs', 'Upper', '@scope', '']) expect(() => splitSpecifier(bad)).toThrow(/not a package specifier/)
  })
})

describe('installed plugins', () => {
  it('lists packages named assets-<kind>-<name> where the search looks, first copy of each, without importing them', () => {
    // Only what this test wrote: a machine may have its own /tmp/node_modules above the program.
    const listed = search().installed().filter((p) => p.dir.startsWith(root))
    expect(listed.map((p) => [p.specifier, p.kind, p.origin, p.version])).toEqual([
      ['@acme/assets-storage-gcs', 'storage', 'plugin path', '3.0.0'],
      ['assets-cache-fast', 'cache', 'plugin path', '0.1.0'],
      ['assets-registry-lab', 'registry', 'project', '4.2.0'],
    ])
  })
})
