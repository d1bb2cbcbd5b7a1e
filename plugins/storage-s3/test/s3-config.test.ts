import { inspect } from 'node:util'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { OPTION_VARIABLES, type PluginContext, Value } from '@assets/core'
import { describe, expect, it } from 'vitest'
import plugin, { createS3Storage, s3StorageOptionsSchema } from '../src/index.js'
import { randomPrefix, rawClient, readAll, server, testOptions } from './fixtures/s3-server.js'

function context(overrides: Partial<PluginContext> = {}): PluginContext & { warnings: string[] } {
  const warnings: string[] = []
  return {
    dataDir: '/tmp/assets-s3-data',
    cacheDir: '/tmp/assets-s3-cache',
    allowInsecureStorage: false,
    logger: { warn: (m) => warnings.push(m), info: (m) => warnings.push(m) },
    env: {},
    warnings,
    ...overrides,
  }
}

async function failure(action: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await action()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a failure')
}

/** Everything an error could show: message, stack, causes, and the SDK's fields. */
function everything(error: unknown): string {
  return `${inspect(error, { depth: 12, showHidden: true })}\n${JSON.stringify(error)}\n${String((error as Error).stack)}`
}

describe('plugin definition and options', () => {
  it('is the storage plugin "s3" and accepts the fields core maps from the seed variables plus its own', () => {
    expect(plugin).toMatchObject({ kind: 'storage', name: 's3', specificationVersion: 1 })
    const full = {
      bucket: 'data-bucket',
      prefix: 'assets/',
      region: 'eu-west-1',
      endpoint: 'https://s3.example.org',
      useSsl: true,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI',
      forcePathStyle: true,
      anonymous: false,
      partSize: 16 * 1024 * 1024,
      concurrency: 8,
      rangeSize: 32 * 1024 * 1024,
      rangeConcurrency: 16,
      requestTimeoutMs: 30_000,
      maxAttempts: 6,
      checksum: 'when_required',
      journalDir: '/var/tmp/journal',
    }
    expect(Value.Check(s3StorageOptionsSchema, full)).toBe(true)
    // Every field core's config fills from S3_* / AWS_* variables is one this schema declares.
    const mapped = (OPTION_VARIABLES.storage.s3 ?? []).map((v) => v.field)
    expect(mapped).toEqual(expect.arrayContaining(['bucket', 'prefix', 'region', 'endpoint', 'useSsl', 'accessKeyId', 'secretAccessKey']))
    for (const field of mapped) expect(Object.keys(s3StorageOptionsSchema.properties)).toContain(field)
    expect(Value.Check(s3StorageOptionsSchema, { bucket: 'b' })).toBe(false)
    expect(Value.Check(s3StorageOptionsSchema, { bucket: 'data', checksum: 'always' })).toBe(false)
    expect(Value.Check(s3StorageOptionsSchema, { bucket: 'data', partSize: 1024 })).toBe(false)
  })

  it('creating does no I/O: an endpoint nobody listens on fails only on first use, as BackendUnavailableError', async () => {
    const storage = plugin.create({ ...testOptions({ maxAttempts: 2 }), endpoint: 'http://127.0.0.1:9' }, context({ allowInsecureStorage: true }))
    const error = await failure(() => storage.stat('x'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(error.message).toMatch(/s3: looking up s3:\/\/assets-test\/.*x failed/)
    await storage.close()
  })

  it('refuses a plain http:// endpoint unless ALLOW_INSECURE_STORAGE=true, saying so', () => {
    const options = testOptions()
    const error = (() => {
      try {
        plugin.create(options, context())
      } catch (e) {
        return e as Error & { code?: string }
      }
      throw new Error('expected a refusal')
    })()
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toContain('ALLOW_INSECURE_STORAGE=true')
    expect(error.message).toContain(new URL(server().endpoint).origin)
    expect(() => plugin.create({ ...options, endpoint: 'https://s3.example.org' }, context())).not.toThrow()
    expect(() => plugin.create(options, context({ allowInsecureStorage: true }))).not.toThrow()
    // S3_USE_SSL=false with a bare host:port means http://, which is refused the same way.
    expect(() => plugin.create({ ...options, endpoint: new URL(server().endpoint).host, useSsl: false }, context())).toThrow(/ALLOW_INSECURE_STORAGE/)
  })

  it('refuses half a key pair and an endpoint with credentials in it, without echoing them', () => {
    expect(() => createS3Storage({ bucket: 'data', accessKeyId: 'AKIDONLY' })).toThrow(/set both or neither/)
    const secret = 'pa55w0rd-in-url'
    let message = ''
    try {
      createS3Storage({ bucket: 'data', endpoint: `https://user:${secret}@s3.example.org` })
    } catch (e) {
      message = everything(e)
    }
    expect(message).toMatch(/must not carry credentials/)
    expect(message).not.toContain(secret)
  })
})

describe('credentials never appear in errors or logs', () => {
  it('a wrong secret gives AccessDeniedError that names the object but not the keys', async () => {
    const secret = `${server().secretAccessKey.slice(0, 10)}WRONG-secret-value`
    const ctx = context({ allowInsecureStorage: true })
    const storage = plugin.create({ ...testOptions(), secretAccessKey: secret }, ctx)
    const errors = [
      await failure(() => storage.stat('a/b')),
      await failure(() => storage.upload('a/b', (async function* () {
        yield Buffer.from('x')
      })())),
      await failure(() => readAll(storage.open('a/b'))),
    ]
    for (const error of errors) {
      expect(error.code).toBe('ACCESS_DENIED')
      const shown = everything(error)
      expect(shown).not.toContain(secret)
      expect(shown).not.toContain(server().secretAccessKey)
    }
    expect(ctx.warnings.join('\n')).not.toContain(secret)
    await storage.close()
  })

  it('an unreachable server gives BackendUnavailableError without the keys, after the retry budget', async () => {
    const options = { ...testOptions({ maxAttempts: 3 }), endpoint: 'http://127.0.0.1:9' }
    const storage = createS3Storage(options, { allowInsecureStorage: true })
    const error = await failure(() => storage.download('a/b', '/tmp/never-written'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(storage.stats.requests).toBe(3)
    expect(everything(error)).not.toContain(options.secretAccessKey)
    await storage.close()
  })
})

describe('timeouts', () => {
  it('a request that gets no answer is dropped after requestTimeoutMs and retried, then fails', async () => {
    const { createServer } = await import('node:net')
    const held: Array<import('node:net').Socket> = []
    // Accepts connections and never answers, like a server that hangs.
    const silent = createServer((socket) => {
      held.push(socket)
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const storage = createS3Storage({ ...testOptions({ requestTimeoutMs: 300, maxAttempts: 2 }), endpoint: `http://127.0.0.1:${port}` }, { allowInsecureStorage: true })
    const started = Date.now()
    const error = await failure(() => storage.stat('x'))
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(storage.stats).toMatchObject({ requests: 2, retries: 1 })
    expect(held.length).toBeGreaterThanOrEqual(1)
    expect(Date.now() - started).toBeLessThan(20_000)
    await storage.close()
    for (const socket of held) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })
})

describe('anonymous access', () => {
  it('reads a public bucket with unsigned requests, and cannot write to it', async () => {
    const bucket = randomPrefix('public')
    const client = rawClient()
    await client.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }))
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'open/data.csv', Body: 'a,b\n1,2\n', ACL: 'public-read' }))
    client.destroy()
    const storage = createS3Storage(
      { bucket, prefix: 'open', endpoint: server().endpoint, anonymous: true, checksum: 'when_required', maxAttempts: 1 },
      { allowInsecureStorage: true },
    )
    expect(await storage.stat('data.csv')).toMatchObject({ size: 8 })
    expect((await readAll(storage.open('data.csv'))).toString()).toBe('a,b\n1,2\n')
    const refused = await failure(() => storage.upload('new.csv', (async function* () {
      yield Buffer.from('x')
    })()))
    expect(refused.code).toBe('ACCESS_DENIED')
    await storage.close()
  })
})
