import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { AssetConfig, actorFor, ConfigInvalidError, createAssetManager, PluginNotFoundError } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'

// The embedded packages are this test package's dependencies; import them from here, as an
// application would, rather than from core's own location.
const importer = (specifier: string) => import(specifier)

describe('createAssetManager on the embedded default', () => {
  it('with only ASSETS_HOME set, keeps storage, cache and registry under that folder', async () => {
    const home = await temporaryFolder('assets-home')
    const config = AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home })
    const manager = await createAssetManager(config, { importer })
    try {
      expect(manager.actor).toEqual({ user: userInfo().username, groups: [], roles: ['admin'] })
      const src = join(home, 'in.bin')
      const bytes = randomBytes(4096)
      await writeFile(src, bytes)
      const put = await manager.put('quick/start', src, { organism: 'human' }, { kind: 'dataset' })
      expect(await readFile(await manager.get('quick/start'))).toEqual(bytes)
      expect((await stat(join(home, 'registry.db'))).isFile()).toBe(true)
      expect((await stat(join(home, 'storage', put.location))).size).toBe(bytes.length)
      expect((await manager.get('quick/start')).startsWith(join(home, 'cache'))).toBe(true)
    } finally {
      await manager.close()
    }
  })

  it('without ASSETS_HOME, uses the XDG data and cache folders', async () => {
    const base = await temporaryFolder('assets-xdg')
    const config = AssetConfig.load({ env: { XDG_DATA_HOME: join(base, 'data'), XDG_CACHE_HOME: join(base, 'cache'), HOME: base }, cwd: base })
    expect(config.dataDir).toBe(join(base, 'data', 'assets'))
    expect(config.cacheDir).toBe(join(base, 'cache', 'assets'))
    const manager = await createAssetManager(config, { importer })
    try {
      const src = join(base, 'x.txt')
      await writeFile(src, 'xdg')
      await manager.put('xdg/file', src)
      expect((await stat(join(base, 'data', 'assets', 'registry.db'))).isFile()).toBe(true)
      expect((await manager.get('xdg/file')).startsWith(join(base, 'cache', 'assets'))).toBe(true)
    } finally {
      await manager.close()
    }
  })

  it('CACHE_ENABLED=false runs without a cache', async () => {
    const home = await temporaryFolder('assets-nocache')
    const manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: home, CACHE_ENABLED: 'false' }, cwd: home }), { importer })
    try {
      expect(manager.cache).toBeNull()
      await writeFile(join(home, 'f'), 'no cache')
      await manager.put('k/f', join(home, 'f'))
      expect(await readFile(await manager.get('k/f'), 'utf8')).toBe('no cache')
    } finally {
      await manager.close()
    }
  })

  it('a configured identity with roles from the users table is the actor', async () => {
    const home = await temporaryFolder('assets-identity')
    await writeFile(join(home, 'config.yaml'), 'identity:\n  user: carol\nusers:\n  carol:\n    groups: [lab]\n    roles: [curator]\n')
    const config = AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home })
    expect(actorFor(config)).toEqual({ user: 'carol', groups: ['lab'], roles: ['curator'] })
    expect(actorFor(config, 'dave')).toEqual({ user: 'dave', groups: [], roles: [] })
  })

  it('a selected plugin that is not installed says what to install', async () => {
    const home = await temporaryFolder('assets-s3')
    const config = AssetConfig.load({ env: { ASSETS_HOME: home, STORAGE_TYPE: 'S3', S3_BUCKET: 'b' }, cwd: home })
    const error = await createAssetManager(config, { importer }).catch((e: unknown) => e)
    expect(PluginNotFoundError.isInstance(error)).toBe(true)
    expect((error as Error).message).toContain('install it (npm install @assets/storage-s3)')
  })

  it('an unknown plugin name lists the known ones', async () => {
    const home = await temporaryFolder('assets-unknown')
    const config = AssetConfig.load({ env: { ASSETS_HOME: home, CACHE_TYPE: 'Floppy Cache!' }, cwd: home })
    const error = await createAssetManager(config, { importer }).catch((e: unknown) => e)
    expect(PluginNotFoundError.isInstance(error)).toBe(true)
    expect((error as Error).message).toContain('local, redis')
  })

  it('bad plugin options are a ConfigInvalidError naming each field', async () => {
    const home = await temporaryFolder('assets-badopts')
    await writeFile(join(home, 'config.yaml'), 'cache:\n  type: local\n  maxBytes: lots\n  staleLockMs: -5\n')
    const config = AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home })
    const error = await createAssetManager(config, { importer }).catch((e: unknown) => e)
    expect(ConfigInvalidError.isInstance(error)).toBe(true)
    const fields = (error as ConfigInvalidError).problems.map((p) => p.field)
    expect(fields).toEqual(expect.arrayContaining(['cache.maxBytes', 'cache.staleLockMs']))
  })

  it('a malformed YAML config is a ConfigInvalidError with its line', async () => {
    const home = await temporaryFolder('assets-yaml')
    await writeFile(join(home, 'config.yaml'), 'storage:\n  type: local\n   path: [unclosed\n')
    let error: unknown
    try {
      AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home })
    } catch (e) {
      error = e
    }
    expect(ConfigInvalidError.isInstance(error)).toBe(true)
    expect((error as Error).message).toMatch(/config\.yaml.*line \d+/s)
  })
})
