import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AssetConfig, loadPlugin, sha256 } from '@assets/core'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { S3Cache } from '../src/index.js'
import { listKeys, Machines, randomPrefix, recordingLogger, stageFile } from './fixtures/machines.js'

const machines = new Machines()
const bin = fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url))

afterAll(async () => {
  await machines.cleanup()
})

/** The seed's variables for this run's Ceph gateway; plain http:// on loopback, so insecure storage is allowed explicitly. */
function s3Env(prefix: string): Record<string, string> {
  const s = inject('s3')
  return {
    CACHE_TYPE: 'S3Cache',
    S3_BUCKET: s.bucket,
    CACHE_S3_PREFIX: prefix,
    S3_REGION: s.region,
    S3_ENDPOINT_URL: s.endpoint,
    AWS_ACCESS_KEY_ID: s.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s.secretAccessKey,
  }
}

describe('selected by configuration', () => {
  it('CACHE_TYPE=S3Cache with the S3 variables loads this plugin, over the cache folder', async () => {
    const home = await machines.folder()
    const prefix = randomPrefix('config')
    const config = AssetConfig.load({ env: { ...s3Env(prefix), ALLOW_INSECURE_STORAGE: 'true', ASSETS_HOME: home }, cwd: home })
    const imported: string[] = []
    const cache = await loadPlugin('cache', config.cache, config.pluginContext(recordingLogger()), {
      importer: async (specifier) => {
        imported.push(specifier)
        return import('../src/index.js')
      },
    })
    try {
      expect(imported).toEqual(['@assets/cache-s3'])
      expect(cache).toBeInstanceOf(S3Cache)
      expect((cache as S3Cache).local.root).toBe(config.cacheDir)
      await cache.setValue('k', 'v')
      expect(await listKeys(prefix)).toHaveLength(1)
    } finally {
      await cache.close()
    }
  })

  it('refuses the http:// endpoint without ALLOW_INSECURE_STORAGE, naming it and no secret', async () => {
    const home = await machines.folder()
    const config = AssetConfig.load({ env: { ...s3Env(randomPrefix('refused')), ASSETS_HOME: home }, cwd: home })
    const failure = await loadPlugin('cache', config.cache, config.pluginContext(recordingLogger()), { importer: () => import('../src/index.js') }).then(
      () => null,
      (error: Error) => error,
    )
    expect(failure?.message).toMatch(/ALLOW_INSECURE_STORAGE/)
    expect(failure?.message).not.toContain(inject('s3').secretAccessKey)
  })
})

describe('assets cache prune', () => {
  it('prunes the bucket tier to its byte budget from the command line', async () => {
    const prefix = randomPrefix('cli')
    const writer = await machines.machine({ prefix })
    for (let i = 0; i < 3; i++) {
      const bytes = randomBytes(1000)
      await writer.set(sha256(bytes), await stageFile(writer, sha256(bytes), bytes))
    }
    const home = await machines.folder()
    const configPath = join(home, 'assets.yaml')
    // The budget is a config-file option: no variable of the seed carries it.
    await writeFile(configPath, 'cache:\n  type: S3Cache\n  sharedMaxBytes: 1000\n')
    const env = { ...s3Env(prefix), ALLOW_INSECURE_STORAGE: 'true', ASSETS_HOME: home, CONFIG_PATH: configPath, PATH: process.env.PATH ?? '' }
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'cache', 'prune', '--json'], { env, cwd: home })
    expect(JSON.parse(stdout)).toMatchObject({ removed: 2, freedBytes: 2000 })
    expect(await listKeys(`${prefix}blobs/`)).toHaveLength(1)
  })
})
