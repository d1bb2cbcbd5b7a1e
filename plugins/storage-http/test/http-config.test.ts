import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { AssetConfig, loadPlugin, sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpStorage, HttpStorage } from '../src/index.js'
import { NginxServer } from './fixtures/nginx-server.js'
import { failureOf, readAll, recordingLogger } from './fixtures/storage-context.js'

let nginx: NginxServer
let home: string

beforeAll(async () => {
  nginx = await NginxServer.start()
  home = await temporaryFolder('storage-http-config')
})

afterAll(async () => {
  await nginx?.stop()
  await rm(home, { recursive: true, force: true })
})

const importer = async () => import('../src/index.js')

function thrownBy(create: () => unknown): Error & { code?: string } {
  try {
    create()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected creation to fail')
}

describe('configuration from the seed variables', () => {
  it('STORAGE_TYPE=HTTPStorage with HTTP_STORAGE_* variables selects this plugin and authenticates with them', async () => {
    const bytes = randomBytes(5000)
    await nginx.seed('config/object.bin', bytes)
    const env = {
      STORAGE_TYPE: 'HTTPStorage',
      HTTP_STORAGE_BASE_URL: nginx.url('bearer'),
      HTTP_STORAGE_AUTH_TYPE: 'bearer',
      HTTP_STORAGE_AUTH_TOKEN: nginx.credentials.bearerToken,
      HTTP_STORAGE_HEADERS: '{"X-Team":"genomics"}',
      HTTP_STORAGE_VERIFY_SSL: 'true',
      ALLOW_INSECURE_STORAGE: 'true',
      ASSETS_HOME: home,
    }
    const config = AssetConfig.load({ env, cwd: home })
    const logger = recordingLogger()
    const storage = await loadPlugin('storage', config.storage, config.pluginContext(logger), { importer })
    expect(storage).toBeInstanceOf(HttpStorage)
    expect(sha256(await readAll(storage.open('config/object.bin')))).toBe(sha256(bytes))
    expect(logger.warnings).toEqual([])
    expect(JSON.stringify(config.redacted())).not.toContain(nginx.credentials.bearerToken)
    await storage.close()
  })

  it('HTTP_STORAGE_VERIFY_SSL=false reaches the plugin: the self-signed server is accepted with a warning', async () => {
    const env = { STORAGE_TYPE: 'http', HTTP_STORAGE_BASE_URL: nginx.url('ro', true), HTTP_STORAGE_VERIFY_SSL: 'false', ASSETS_HOME: home }
    await nginx.seed('config/tls.bin', Buffer.from('tls'))
    const config = AssetConfig.load({ env, cwd: home })
    const logger = recordingLogger()
    const storage = await loadPlugin('storage', config.storage, config.pluginContext(logger), { importer })
    expect(await storage.stat('config/tls.bin')).toMatchObject({ size: 3 })
    expect(logger.warnings.join('\n')).toMatch(/HTTP_STORAGE_VERIFY_SSL=false/)
    await storage.close()
  })

  it('malformed HTTP_STORAGE_HEADERS is a configuration error that names the variable and does not echo its text', async () => {
    const env = { STORAGE_TYPE: 'http', HTTP_STORAGE_BASE_URL: nginx.url('ro', true), HTTP_STORAGE_HEADERS: '{"Authorization": "Bearer leaked-secret"', ASSETS_HOME: home }
    const error = thrownBy(() => AssetConfig.load({ env, cwd: home }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toMatch(/HTTP_STORAGE_HEADERS/)
    expect(error.message).not.toContain('leaked-secret')
  })

  it('headers given as malformed JSON text, or with a line break in a value, are refused without echoing them', () => {
    const attempts: Array<string | Record<string, string>> = ['{"X-Key": "leaked-secret"', { 'X-Key': 'leaked-secret\r\nX-Evil: 1' }, { 'bad name': 'leaked-secret' }]
    for (const headers of attempts) {
      const error = thrownBy(() => createHttpStorage({ baseUrl: 'https://example.org/data/', headers }))
      expect(error.code).toBe('CONFIG_INVALID')
      expect(error.message).toMatch(/http\.headers/)
      expect(error.message).not.toContain('leaked-secret')
    }
  })

  it('a missing credential names the option and the variable to set', () => {
    const bearer = thrownBy(() => createHttpStorage({ baseUrl: 'https://example.org/', authType: 'Bearer' }))
    expect(bearer.message).toMatch(/http\.authToken.*HTTP_STORAGE_AUTH_TOKEN/)
    const basic = thrownBy(() => createHttpStorage({ baseUrl: 'https://example.org/', authType: 'Basic' }))
    expect(basic.message).toMatch(/http\.username.*HTTP_STORAGE_USERNAME/)
  })

  it('a base URL with credentials in it is refused, without echoing the password', () => {
    const error = thrownBy(() => createHttpStorage({ baseUrl: 'https://user:hunter2@example.org/' }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).not.toContain('hunter2')
  })

  it('an unknown option is refused by the schema when loaded by name', async () => {
    const config = AssetConfig.fromObject({ storage: { type: 'http', baseUrl: 'https://example.org/', verifySSL: false } }, { env: { ASSETS_HOME: home }, cwd: home })
    const error = await failureOf(() => loadPlugin('storage', config.storage, config.pluginContext(recordingLogger()), { importer }))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toMatch(/verifySSL/)
  })

  it('creating does no I/O: a server that does not exist fails only when used', async () => {
    const storage = createHttpStorage({ baseUrl: 'http://127.0.0.1:9/nothing/', retries: 1, retryBaseDelayMs: 1 }, { allowInsecureStorage: true })
    const error = await failureOf(() => storage.stat('a'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(error.message).toMatch(/ECONNREFUSED/)
    await storage.close()
  })
})
