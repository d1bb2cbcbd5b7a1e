import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AssetConfig, ConfigInvalidError, type Logger } from '../src/index.js'
import { ConfigServer, selfSignedCertificate, type TestCertificate } from './fixtures/config-server.js'

const CONFIG = `storage:
  type: http
  baseUrl: https://store.example/assets
  password: storage-hunter2
registry:
  type: postgres
  host: db.internal
  password: db-hunter2
`

let certificate: TestCertificate
let https: ConfigServer
let http: ConfigServer
let scratch: string
let warnings: string[]
const logger: Logger = { warn: (message) => warnings.push(message), info: () => {} }

beforeAll(async () => {
  certificate = selfSignedCertificate()
  https = await ConfigServer.start(certificate)
  http = await ConfigServer.start()
})
afterAll(async () => {
  await https.stop()
  await http.stop()
  certificate.cleanup()
})
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'assets-config-url-'))
  warnings = []
  https.requests.length = 0
  http.requests.length = 0
  https.serve(CONFIG)
  http.serve(CONFIG)
})
afterEach(() => rmSync(scratch, { recursive: true, force: true }))

// The test's own certificate is trusted by turning verification off, as a user would with
// HTTP_STORAGE_VERIFY_SSL=false; the CLI test trusts it through NODE_EXTRA_CA_CERTS instead.
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: scratch, ASSETS_HOME: join(scratch, 'home'), HTTP_STORAGE_VERIFY_SSL: 'false', ...extra }
}

function load(extra: Record<string, string>, options: { configUrlTimeoutMs?: number } = {}): Promise<AssetConfig> {
  return AssetConfig.loadAsync({ env: env(extra), cwd: scratch, logger, ...options })
}

async function problemsOf(promise: Promise<unknown>): Promise<{ field: string; message: string }[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!ConfigInvalidError.isInstance(error)) throw new Error(`expected CONFIG_INVALID, got ${String(error)}`)
  return error.problems
}

function keptCopies(): string[] {
  const folder = join(scratch, 'home', 'cache', 'config-url')
  try {
    return readdirSync(folder).map((name) => join(folder, name))
  } catch {
    return []
  }
}

describe('CONFIG_PATH naming an https:// URL', () => {
  it('is fetched and resolved like a file, and its last good copy is kept private to the user', async () => {
    const config = await load({ CONFIG_PATH: https.url('/assets.yaml') })
    expect(config.storage).toMatchObject({ type: 'http', baseUrl: 'https://store.example/assets', password: 'storage-hunter2' })
    expect(config.registry).toMatchObject({ type: 'postgres', host: 'db.internal' })
    expect(config.sources.registry).toBe('file')
    expect(config.configFile).toBe(https.url('/assets.yaml'))
    expect(https.requests.map((r) => r.path)).toEqual(['/assets.yaml'])
    const copies = keptCopies()
    expect(copies).toHaveLength(1)
    expect(statSync(copies[0] as string).mode & 0o777).toBe(0o600)
    expect(statSync(join(copies[0] as string, '..')).mode & 0o777).toBe(0o700)
  })

  it('sends the HTTP plugin credentials: Bearer, Basic and extra headers', async () => {
    await load({ CONFIG_PATH: https.url('/a.yaml'), HTTP_STORAGE_AUTH_TYPE: 'Bearer', HTTP_STORAGE_AUTH_TOKEN: 'tok-123' })
    expect(https.requests[0]?.headers.authorization).toBe('Bearer tok-123')
    await load({
      CONFIG_PATH: https.url('/b.yaml'),
      HTTP_STORAGE_AUTH_TYPE: 'Basic',
      HTTP_STORAGE_USERNAME: 'ann',
      HTTP_STORAGE_PASSWORD: 'pw',
      HTTP_STORAGE_HEADERS: '{"X-Team":"bench"}',
    })
    expect(https.requests[1]?.headers.authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`)
    expect(https.requests[1]?.headers['x-team']).toBe('bench')
  })

  it('does not send the credentials to another origin it is redirected to', async () => {
    https.handler = (_request, response) => response.writeHead(302, { location: http.url('/moved.yaml') }).end()
    const problems = await problemsOf(load({ CONFIG_PATH: https.url('/a.yaml'), ALLOW_INSECURE_STORAGE: 'true' }))
    expect(problems[0]?.message).toMatch(/redirected from https:\/\/ to plain http:\/\/; refused/)
    expect(http.requests).toEqual([])
    const other = await ConfigServer.start(certificate)
    try {
      other.serve(CONFIG)
      https.handler = (_request, response) => response.writeHead(302, { location: other.url('/moved.yaml') }).end()
      await load({ CONFIG_PATH: https.url('/a.yaml'), HTTP_STORAGE_AUTH_TYPE: 'Bearer', HTTP_STORAGE_AUTH_TOKEN: 'tok-123' })
      expect(https.requests[1]?.headers.authorization).toBe('Bearer tok-123')
      expect(other.requests[0]?.path).toBe('/moved.yaml')
      expect(other.requests[0]?.headers.authorization).toBeUndefined()
    } finally {
      await other.stop()
    }
  })

  it('refuses plain http:// unless ALLOW_INSECURE_STORAGE=true, without sending a request', async () => {
    const problems = await problemsOf(load({ CONFIG_PATH: http.url('/a.yaml') }))
    expect(problems).toEqual([{ field: 'CONFIG_PATH', message: expect.stringMatching(/plain http:\/\/.*ALLOW_INSECURE_STORAGE=true/) }])
    expect(http.requests).toEqual([])
    const config = await load({ CONFIG_PATH: http.url('/a.yaml'), ALLOW_INSECURE_STORAGE: 'true' })
    expect(config.registry.type).toBe('postgres')
  })

  it('refuses a config over 1 MiB with CONFIG_INVALID and keeps no copy', async () => {
    https.serve(`# ${'x'.repeat(1024 * 1024)}\n${CONFIG}`)
    const problems = await problemsOf(load({ CONFIG_PATH: https.url('/big.yaml') }))
    expect(problems[0]?.message).toMatch(/larger than 1048576 bytes/)
    expect(keptCopies()).toEqual([])
  })

  it('gives up on a server that does not answer within the time limit', async () => {
    https.handler = () => {} // holds the request open
    const problems = await problemsOf(load({ CONFIG_PATH: https.url('/slow.yaml') }, { configUrlTimeoutMs: 300 }))
    expect(problems).toEqual([{ field: 'CONFIG_PATH', message: expect.stringMatching(/did not answer within the time limit, and there is no earlier copy/) }])
  })

  it('uses the last good copy, with one warning, when the server is down', async () => {
    const server = await ConfigServer.start()
    server.serve(CONFIG)
    const url = server.url('/assets.yaml')
    await load({ CONFIG_PATH: url, ALLOW_INSECURE_STORAGE: 'true' })
    expect(warnings).toEqual([])
    await server.stop()
    const config = await load({ CONFIG_PATH: url, ALLOW_INSECURE_STORAGE: 'true' })
    expect(config.registry).toMatchObject({ type: 'postgres', host: 'db.internal' })
    expect(warnings).toEqual([expect.stringMatching(/cannot reach .* \(ECONNREFUSED\); using the last good copy of it, fetched at /)])
  })

  it('treats a 5xx as unreachable but a 401 or 404 as an error, even with a copy kept', async () => {
    await load({ CONFIG_PATH: https.url('/assets.yaml') })
    https.handler = (_request, response) => response.writeHead(503).end()
    await load({ CONFIG_PATH: https.url('/assets.yaml') })
    expect(warnings.filter((w) => w.includes('last good copy'))).toHaveLength(1)
    for (const status of [401, 404]) {
      https.handler = (_request, response) => response.writeHead(status).end()
      const problems = await problemsOf(load({ CONFIG_PATH: https.url('/assets.yaml') }))
      expect(problems).toEqual([{ field: 'CONFIG_PATH', message: expect.stringMatching(new RegExp(`answered ${status}`)) }])
    }
    expect(warnings.filter((w) => w.includes('last good copy'))).toHaveLength(1)
  })

  it('treats a certificate it cannot verify as an error, not as an unreachable server', async () => {
    await load({ CONFIG_PATH: https.url('/assets.yaml') })
    const problems = await problemsOf(load({ CONFIG_PATH: https.url('/assets.yaml'), HTTP_STORAGE_VERIFY_SSL: 'true' }))
    expect(problems[0]?.message).toMatch(/cannot read https:\/\/127\.0\.0\.1:\d+\/assets\.yaml: .*certificate/i)
    expect(warnings.filter((w) => w.includes('last good copy'))).toEqual([])
  })

  it('does not keep a copy of a config that does not load', async () => {
    https.serve('storage: [unclosed\n')
    await problemsOf(load({ CONFIG_PATH: https.url('/broken.yaml') }))
    expect(keptCopies()).toEqual([])
  })

  it('hides the secrets of a fetched config and of its URL when printed', async () => {
    const config = await load({ CONFIG_PATH: https.url('/assets.yaml?token=url-secret') })
    const printed = JSON.stringify({ config, file: config.configFile })
    expect(printed).not.toMatch(/hunter2|url-secret/)
    expect(config.redacted().registry).toMatchObject({ password: '***' })
    expect(config.configFile).toBe(https.url('/assets.yaml?token=***'))
  })

  it('is a problem for the synchronous load, which reads files only', () => {
    let error: unknown
    try {
      AssetConfig.load({ env: env({ CONFIG_PATH: https.url('/assets.yaml') }), cwd: scratch, logger })
    } catch (e) {
      error = e
    }
    expect(ConfigInvalidError.isInstance(error) && error.problems).toEqual([
      { field: 'CONFIG_PATH', message: expect.stringMatching(/is a URL.*AssetConfig\.loadAsync\(\)/) },
    ])
    expect(https.requests).toEqual([])
  })
})
