import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Type } from '@sinclair/typebox'
import { describe, expect, it, vi } from 'vitest'
import { AssetConfig, trustFolder } from '../src/config/index.js'
import type { PluginContext, PluginKind } from '../src/contracts/index.js'
import {
  AssetError,
  BackendUnavailableError,
  ConfigInvalidError,
  PluginInvalidError,
  PluginNotFoundError,
} from '../src/errors/index.js'
import {
  BUILTIN_PLUGINS,
  listBuiltinPlugins,
  loadPlugin,
  resolvePluginPackage,
} from '../src/plugins/plugin-loader.js'
import type { PluginImporter } from '../src/plugins/plugin-search.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/plugins/${name}`, import.meta.url))

const context: PluginContext = {
  dataDir: '/data',
  cacheDir: '/cache',
  allowInsecureStorage: false,
  logger: { warn: () => {} },
  env: {},
}

/** A definition as `definePlugin` would make it; `create` returns a marker naming the plugin. */
function definition(kind: PluginKind, name: string, extra: Record<string, unknown> = {}) {
  return {
    kind,
    name,
    specificationVersion: 1,
    options: Type.Object({}, { additionalProperties: true }),
    create: vi.fn((options: unknown) => ({ createdBy: name, options })),
    ...extra,
  }
}

/** An importer serving modules from a map, failing like Node does for anything else. */
function importerOf(modules: Record<string, unknown>): PluginImporter & { calls: string[] } {
  const calls: string[] = []
  const importer = async (specifier: string) => {
    calls.push(specifier)
    if (specifier in modules) return modules[specifier]
    throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/index.js`), {
      code: 'ERR_MODULE_NOT_FOUND',
    })
  }
  return Object.assign(importer, { calls })
}

async function failure(action: () => Promise<unknown>): Promise<AssetError> {
  try {
    await action()
  } catch (error) {
    if (AssetError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected the plugin to fail to load, but it loaded')
}

describe('selection by name', () => {
  it.each(listBuiltinPlugins())('$kind type "$name" imports $packageName', async ({ kind, name, packageName }) => {
    const importer = importerOf({ [packageName]: { default: definition(kind, name) } })
    const instance = await loadPlugin(kind, { type: name }, context, { importer })
    expect(instance).toEqual({ createdBy: name, options: {} })
    expect(importer.calls).toEqual([packageName])
  })

  it('accepts the seed spellings of built-in names', async () => {
    const importer = importerOf({ '@assets/storage-s3': { default: definition('storage', 's3') } })
    await loadPlugin('storage', { type: 'S3Storage' }, context, { importer })
    expect(importer.calls).toEqual(['@assets/storage-s3'])
    expect(resolvePluginPackage('registry', 'PostgreSQL')).toEqual({
      kind: 'registry',
      type: 'postgres',
      specifier: '@assets/registry-postgres',
      builtin: true,
    })
    expect(resolvePluginPackage('registry', 'MariaDB')).toEqual({ kind: 'registry', type: 'mysql', specifier: '@assets/registry-mysql', builtin: true })
  })

  it('imports any other type as a package name', async () => {
    const importer = importerOf({ '@acme/assets-storage-gcs': { default: definition('storage', 'gcs') } })
    const instance = await loadPlugin('storage', { type: '@acme/assets-storage-gcs', bucket: 'b' }, context, { importer })
    expect(instance).toEqual({ createdBy: 'gcs', options: { bucket: 'b' } })
  })

  it('a missing built-in package says what to install', async () => {
    const error = await failure(() => loadPlugin('storage', { type: 's3' }, context, { importer: importerOf({}) }))
    expect(PluginNotFoundError.isInstance(error)).toBe(true)
    expect(error.message).toBe(
      'storage type "s3" needs the package @assets/storage-s3: install it (npm install @assets/storage-s3)',
    )
  })

  it('a missing third-party package names the package, with the real importer too', async () => {
    const error = await failure(() =>
      loadPlugin('registry', { type: '@assets-fixture/registry-not-installed' }, context),
    )
    expect(error.code).toBe('PLUGIN_NOT_FOUND')
    expect(error.message).toContain('install it (npm install @assets-fixture/registry-not-installed); looked from ')
  })

  it('an unknown name that is no package name lists the known names and imports nothing', async () => {
    const importer = importerOf({})
    const error = await failure(() => loadPlugin('cache', { type: 'Fast Cache!' }, context, { importer }))
    expect(error.code).toBe('PLUGIN_NOT_FOUND')
    expect(error.message).toContain('use one of local, redis')
    expect(importer.calls).toEqual([])
    expect(() => resolvePluginPackage('storage', 'C:relative')).toThrow(/local, s3, http, huggingface/)
  })

  it('lists every built-in plugin with its package', () => {
    expect(listBuiltinPlugins()).toHaveLength(13)
    expect(listBuiltinPlugins()).toContainEqual({ kind: 'storage', name: 'remote', packageName: '@assets/remote/storage' })
    expect(listBuiltinPlugins()).toContainEqual({ kind: 'registry', name: 'remote', packageName: '@assets/remote' })
    expect(listBuiltinPlugins()).toContainEqual({ kind: 'cache', name: 'redis', packageName: '@assets/cache-redis' })
    expect(listBuiltinPlugins()).toContainEqual({ kind: 'cache', name: 'memcached', packageName: '@assets/cache-memcached' })
    expect(listBuiltinPlugins()).toContainEqual({ kind: 'cache', name: 's3', packageName: '@assets/cache-s3' })
    expect(BUILTIN_PLUGINS.registry.sqlite).toBe('@assets/registry-sqlite')
    expect(listBuiltinPlugins()).toContainEqual({ kind: 'registry', name: 'mysql', packageName: '@assets/registry-mysql' })
  })
})

describe('a plugin package on disk', () => {
  it('loads by absolute folder path, applying option defaults and converting strings', async () => {
    const instance = await loadPlugin('storage', { type: fixture('storage-echo'), partSize: '16', verify: 'false' }, context)
    expect(instance).toEqual({
      createdBy: 'storage-echo',
      options: { root: '/srv/echo', partSize: 16, verify: false },
      dataDir: '/data',
    })
  })

  it('loads by file URL, and from a frozen config section', async () => {
    const config = AssetConfig.fromObject(
      { storage: { type: pathToFileURL(join(fixture('storage-echo'), 'index.js')).href, root: '/r' } },
      { env: { HOME: '/home/t' } },
    )
    const instance = await loadPlugin('storage', config.storage, config.pluginContext())
    expect(instance).toMatchObject({ options: { root: '/r', partSize: 8, verify: true } })
  })

  it('reports each bad option as a config problem under the section, without echoing secrets', async () => {
    const error = await failure(() =>
      loadPlugin(
        'storage',
        { type: fixture('storage-echo'), partSize: 'many', verify: 'perhaps', password: 'short-pw', colour: 'red' },
        context,
      ),
    )
    expect(ConfigInvalidError.isInstance(error)).toBe(true)
    const problems = (error as ConfigInvalidError).problems
    expect(problems.map((p) => p.field).sort()).toEqual([
      'storage.colour',
      'storage.partSize',
      'storage.password',
      'storage.verify',
    ])
    expect(error.message).toContain('got "many"')
    expect(error.message).not.toContain('short-pw')
  })

  it('finds a definition exported as `plugin`, and drops the cache’s generic enabled/ttl', async () => {
    const instance = await loadPlugin(
      'cache',
      { type: fixture('cache-named-export'), enabled: true, ttl: 300, path: '/c' },
      context,
    )
    expect(instance).toEqual({ createdBy: 'cache-named-export', options: { path: '/c', shards: 4 } })
  })

  it('a module that is not a plugin is PluginInvalidError saying what it found', async () => {
    const error = await failure(() => loadPlugin('storage', { type: fixture('not-a-plugin') }, context))
    expect(PluginInvalidError.isInstance(error)).toBe(true)
    expect(error.message).toContain('found an object with hello, greet')
  })

  it('a plugin of another kind is refused', async () => {
    const error = await failure(() => loadPlugin('storage', { type: fixture('cache-named-export'), path: '/c' }, context))
    expect(error.code).toBe('PLUGIN_INVALID')
    expect(error.message).toContain('it is a "cache" plugin, not a storage plugin')
  })

  it('a plugin that throws while importing is invalid, not missing, and keeps the cause', async () => {
    const error = await failure(() => loadPlugin('storage', { type: fixture('throws-on-import') }, context))
    expect(error.code).toBe('PLUGIN_INVALID')
    expect(error.message).toContain('failed while initialising')
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('a plugin whose own dependency is missing is invalid, not missing', async () => {
    const error = await failure(() => loadPlugin('storage', { type: fixture('missing-dependency') }, context))
    expect(error.code).toBe('PLUGIN_INVALID')
    expect(error.message).toContain('assets-fixture-dependency-that-is-not-installed')
  })

  it('a path that does not exist is not found', async () => {
    const error = await failure(() => loadPlugin('storage', { type: fixture('no-such-plugin') }, context))
    expect(error.code).toBe('PLUGIN_NOT_FOUND')
    expect(error.message).not.toContain('npm install')
  })

  it('resolves a package from the working directory, once the user trusts it, when core cannot see it', async () => {
    const app = mkdtempSync(join(tmpdir(), 'assets-app-'))
    const pkg = join(app, 'node_modules', '@acme', 'assets-storage-echo')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@acme/assets-storage-echo', type: 'module', exports: { '.': { default: './index.js' } } }),
    )
    const target = pathToFileURL(join(fixture('storage-echo'), 'index.js')).href
    writeFileSync(join(pkg, 'index.js'), `export { default } from ${JSON.stringify(target)}\n`)
    const before = process.cwd()
    vi.stubEnv('XDG_CONFIG_HOME', join(app, 'user-config'))
    try {
      process.chdir(app)
      const untrusted = await failure(() => loadPlugin('storage', { type: '@acme/assets-storage-echo', root: '/x' }, context))
      expect(untrusted.code).toBe('PLUGIN_NOT_FOUND')
      trustFolder(app)
      const instance = await loadPlugin('storage', { type: '@acme/assets-storage-echo', root: '/x' }, context)
      expect(instance).toMatchObject({ createdBy: 'storage-echo', options: { root: '/x' } })
    } finally {
      process.chdir(before)
      vi.unstubAllEnvs()
      rmSync(app, { recursive: true, force: true })
    }
  })
})

describe('plugin definitions', () => {
  const load = (def: unknown, section: Record<string, unknown> = {}) =>
    loadPlugin('registry', { type: 'sqlite', ...section }, context, {
      importer: importerOf({ '@assets/registry-sqlite': { default: def } }),
    })

  it('refuses a specification version newer than this core', async () => {
    const error = await failure(() => load(definition('registry', 'future', { specificationVersion: 2 })))
    expect(error.code).toBe('PLUGIN_INVALID')
    expect(error.message).toContain('needs a newer @assets/core')
  })

  it.each([0, 1.5, '1'])('refuses specificationVersion %j', async (version) => {
    const error = await failure(() => load(definition('registry', 'odd', { specificationVersion: version })))
    expect(error.code).toBe('PLUGIN_INVALID')
    expect(error.message).toContain('not a positive integer')
  })

  it('refuses options that are not a typebox schema', async () => {
    const error = await failure(() => load(definition('registry', 'plain', { options: { type: 'object' } })))
    expect(error.message).toContain('not a typebox schema')
  })

  it('does not call create when the options are invalid', async () => {
    const def = definition('registry', 'strict', { options: Type.Object({ path: Type.String(), poolSize: Type.Integer() }) })
    const error = await failure(() => load(def, { poolSize: 'lots' }))
    expect(ConfigInvalidError.isInstance(error)).toBe(true)
    expect((error as ConfigInvalidError).problems.map((p) => p.field).sort()).toEqual(['registry.path', 'registry.poolSize'])
    expect(def.create).not.toHaveBeenCalled()
  })

  it('passes the options and the context to create', async () => {
    const def = definition('registry', 'ok', { options: Type.Object({ path: Type.String(), poolSize: Type.Integer({ default: 2 }) }) })
    await load(def, { path: '/r.db' })
    expect(def.create).toHaveBeenCalledWith({ path: '/r.db', poolSize: 2 }, context)
  })

  it('lets AssetErrors from create through and wraps anything else with its cause', async () => {
    const unavailable = new BackendUnavailableError('postgres', 'the registry is down')
    const typed = await failure(() =>
      load(
        definition('registry', 'down', {
          create: () => {
            throw unavailable
          },
        }),
      ),
    )
    expect(typed).toBe(unavailable)
    const raw = new TypeError('cannot connect to postgres://u:pg-secret@h/db')
    const wrapped = await failure(() =>
      load(
        definition('registry', 'raw', {
          create: () => {
            throw raw
          },
        }),
      ),
    )
    expect(wrapped.code).toBe('PLUGIN_INVALID')
    expect(wrapped.cause).toBe(raw)
    expect(wrapped.message).toContain('postgres://u:***@h/db')
    expect(wrapped.message).not.toContain('pg-secret')
  })
})
