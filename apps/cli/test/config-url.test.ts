import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectFailure, describeUnlessLocalOnly, Sandbox } from './fixtures/cli.js'
import { ConfigServer, selfSignedCertificate, type TestCertificate } from '../../../packages/core/test/fixtures/config-server.js'

const CONFIG = `storage:
  type: http
  baseUrl: https://store.example/assets
  headers:
    X-Auth: header-hunter2
registry:
  type: postgres
  host: db.internal
  password: db-hunter2
`

interface Shown {
  config: { registry: Record<string, unknown>; storage: Record<string, unknown> }
  sources: Record<string, string>
  configFile: string | null
}

let s: Sandbox
let certificate: TestCertificate
let server: ConfigServer
// The command trusts the test's certificate as a user would trust a private CA.
let tlsEnv: Record<string, string>

beforeAll(async () => {
  s = await Sandbox.create('config-url')
  certificate = selfSignedCertificate()
  server = await ConfigServer.start(certificate)
  tlsEnv = { NODE_EXTRA_CA_CERTS: certificate.certFile, HTTP_STORAGE_AUTH_TYPE: 'Bearer', HTTP_STORAGE_AUTH_TOKEN: 'tok-123' }
})
afterAll(async () => {
  await server.stop()
  certificate.cleanup()
  await s.cleanup()
})
beforeEach(() => {
  server.requests.length = 0
  server.serve(CONFIG)
})

describe('assets with a config at a URL', () => {
  it('--config https://… is fetched with the configured credentials and shown with its secrets hidden', async () => {
    const url = server.url('/team/assets.yaml')
    const result = await s.run(['config', 'show', '--config', url, '--json'], { env: tlsEnv })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).not.toMatch(/hunter2|tok-123/)
    const doc = JSON.parse(result.stdout) as Shown
    expect(doc.configFile).toBe(url)
    expect(doc.config.registry).toMatchObject({ type: 'postgres', host: 'db.internal', password: '***' })
    expect(doc.config.storage).toMatchObject({ type: 'http', headers: { 'X-Auth': '***' } })
    expect(doc.sources.registry).toBe('file')
    expect(server.requests.map((r) => [r.path, r.headers.authorization])).toEqual([['/team/assets.yaml', 'Bearer tok-123']])

    const human = await s.run(['config', 'show'], { env: { ...tlsEnv, CONFIG_PATH: url } })
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^registry +type=postgres .*\[file\]$/m)
    expect(human.stdout).not.toMatch(/hunter2|tok-123/)
  })

  it('uses the last good copy with one warning when the server is down, and fails on a 401', async () => {
    const other = await ConfigServer.start(certificate)
    other.serve(CONFIG)
    const url = other.url('/assets.yaml')
    expect((await s.run(['config', 'show', '--config', url], { env: tlsEnv })).code).toBe(0)
    other.handler = (_request, response) => response.writeHead(401).end()
    const denied = await s.run(['config', 'show', '--config', url], { env: tlsEnv })
    expectFailure(denied, 'CONFIG_INVALID')
    expect(denied.stderr).toMatch(/answered 401/)
    await other.stop()
    const down = await s.run(['config', 'show', '--config', url, '--json'], { env: tlsEnv })
    expect(down.code, down.stderr).toBe(0)
    expect((JSON.parse(down.stdout) as Shown).config.registry).toMatchObject({ host: 'db.internal' })
    expect(down.stderr.match(/^warning: /gm)).toHaveLength(1)
    expect(down.stderr).toMatch(/^warning: config: cannot reach .*; using the last good copy of it, fetched at /m)
  })
})

// Local only (see LOCAL_ONLY in vitest.config.ts): not registered in the run through a server.
describeUnlessLocalOnly('a plain http:// config URL', () => {
  it('refuses a plain http:// config URL unless ALLOW_INSECURE_STORAGE=true', async () => {
    const plain = await ConfigServer.start()
    try {
      plain.serve(CONFIG)
      const refused = await s.run(['config', 'show', '--config', plain.url('/assets.yaml')])
      expectFailure(refused, 'CONFIG_INVALID')
      expect(refused.stderr).toMatch(/plain http:\/\/.*ALLOW_INSECURE_STORAGE=true/)
      expect(plain.requests).toEqual([])
      const allowed = await s.run(['config', 'show', '--config', plain.url('/assets.yaml')], { env: { ALLOW_INSECURE_STORAGE: 'true' } })
      expect(allowed.code, allowed.stderr).toBe(0)
    } finally {
      await plain.stop()
    }
  })
})
