import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpStorage } from '../src/index.js'
import { CuttingProxy } from './fixtures/cutting-proxy.js'
import { NginxServer } from './fixtures/nginx-server.js'
import { failureOf, LOOPBACK, readAll, recordingLogger } from './fixtures/storage-context.js'

let nginx: NginxServer
const bytes = randomBytes(64_000)

beforeAll(async () => {
  nginx = await NginxServer.start()
  await nginx.seed('tls/object.bin', bytes)
})

afterAll(async () => {
  await nginx?.stop()
})

describe('TLS with a self-signed certificate made at test time', () => {
  it('with verification on and no CA given, refuses the server with a typed error and does not retry', async () => {
    // Connections go through a counting proxy: a retried handshake would show as a second one.
    const proxy = await CuttingProxy.start(nginx.httpsPort, { cuts: 0, cutAfterBytes: 0 })
    const storage = createHttpStorage({ baseUrl: `https://127.0.0.1:${proxy.port}/ro/`, retries: 4, retryBaseDelayMs: 1 })
    try {
      const error = await failureOf(() => storage.stat('tls/object.bin'))
      expect(error.code).toBe('BACKEND_UNAVAILABLE')
      expect(error.message).toMatch(/TLS certificate could not be verified/)
      expect(error.message).toMatch(/caFile/)
      expect(proxy.connections).toBe(1)
      expect(await nginx.requests('/ro/tls/object.bin')).toEqual([])
    } finally {
      await storage.close()
      await proxy.stop()
    }
  })

  it('accepts the server when its CA is given as a file, and as PEM text', async () => {
    const fromFile = createHttpStorage({ baseUrl: nginx.url('ro', true), caFile: nginx.credentials.certFile })
    expect(await fromFile.stat('tls/object.bin')).toMatchObject({ size: bytes.length })
    await fromFile.close()
    const fromText = createHttpStorage({ baseUrl: nginx.url('ro', true), ca: await readFile(nginx.credentials.certFile, 'utf8') })
    expect(sha256(await readAll(fromText.open('tls/object.bin')))).toBe(sha256(bytes))
    await fromText.close()
  })

  it('a CA file that cannot be read is a configuration error naming the option', async () => {
    const storage = createHttpStorage({ baseUrl: nginx.url('ro', true), caFile: '/nonexistent/ca.pem' })
    const error = await failureOf(() => storage.stat('tls/object.bin'))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toMatch(/http\.caFile/)
  })

  it('with verification off, accepts the server and warns through the logger once', async () => {
    const logger = recordingLogger()
    const storage = createHttpStorage({ baseUrl: nginx.url('ro', true), verifySsl: false }, { logger })
    expect(logger.warnings).toHaveLength(1)
    expect(logger.warnings[0]).toMatch(/verification is off/)
    const folder = await temporaryFolder('storage-http-tls')
    const result = await storage.download('tls/object.bin', join(folder, 'object.bin'))
    expect(result.digest).toBe(sha256(bytes))
    expect(logger.warnings).toHaveLength(1)
    await storage.close()
    await rm(folder, { recursive: true, force: true })
  })
})

describe('plain http://', () => {
  it('is refused unless insecure storage is allowed, with a message that says how', () => {
    const refused = (() => {
      try {
        createHttpStorage({ baseUrl: nginx.url('ro') })
      } catch (error) {
        return error as Error & { code?: string }
      }
      throw new Error('created')
    })()
    expect(refused.code).toBe('CONFIG_INVALID')
    expect(refused.message).toMatch(/ALLOW_INSECURE_STORAGE=true/)
  })

  it('works on loopback once the config allows it', async () => {
    const storage = createHttpStorage({ baseUrl: nginx.url('ro') }, LOOPBACK)
    expect(await storage.stat('tls/object.bin')).toMatchObject({ size: bytes.length })
    await storage.close()
  })

  it('a redirect from https to plain http is refused when insecure storage is not allowed', async () => {
    const storage = createHttpStorage({ baseUrl: nginx.url('away', true), caFile: nginx.credentials.certFile })
    const error = await failureOf(() => storage.stat('anything.bin'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(error.message).toMatch(/refusing a redirect to plain http/)
    await storage.close()
  })
})
