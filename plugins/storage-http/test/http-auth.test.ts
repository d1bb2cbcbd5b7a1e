import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpStorage, type HttpStorageOptions } from '../src/index.js'
import { HeaderRecorder, RECORDER_BODY } from './fixtures/header-recorder.js'
import { NginxServer } from './fixtures/nginx-server.js'
import { failureOf, LOOPBACK, readAll } from './fixtures/storage-context.js'

let nginx: NginxServer
let recorder: HeaderRecorder
let scratch: string
const bytes = randomBytes(40_000)

beforeAll(async () => {
  recorder = await HeaderRecorder.start()
  nginx = await NginxServer.start(recorder.origin)
  scratch = await temporaryFolder('storage-http-auth')
})

afterAll(async () => {
  await nginx?.stop()
  await recorder?.stop()
  await rm(scratch, { recursive: true, force: true })
})

const storageFor = (options: Omit<HttpStorageOptions, 'baseUrl'> & { baseUrl?: string }, site: 'basic' | 'bearer' | 'apikey' | 'hop' | 'away') =>
  createHttpStorage({ baseUrl: nginx.url(site), retries: 4, retryBaseDelayMs: 1, ...options }, LOOPBACK)

type Credentials = Pick<HttpStorageOptions, 'authType' | 'authToken' | 'username' | 'password' | 'apiKeyHeader'>

const cases: Array<{ site: 'basic' | 'bearer' | 'apikey'; good: () => Credentials; bad: () => Credentials }> = [
  { site: 'basic', good: () => ({ authType: 'Basic', username: nginx.credentials.user, password: nginx.credentials.password }), bad: () => ({ authType: 'Basic', username: nginx.credentials.user, password: 'wrong' }) },
  { site: 'bearer', good: () => ({ authType: 'Bearer', authToken: nginx.credentials.bearerToken }), bad: () => ({ authType: 'Bearer', authToken: 'not-the-token' }) },
  {
    site: 'apikey',
    good: () => ({ authType: 'APIKey', authToken: nginx.credentials.apiKey, apiKeyHeader: 'X-Team-Key' }),
    bad: () => ({ authType: 'APIKey', authToken: 'not-the-key', apiKeyHeader: 'X-Team-Key' }),
  },
]

describe.each(cases)('$site authentication', ({ site, good, bad }) => {
  it('with the right credentials, stats, streams and downloads', async () => {
    const location = `${site}/${randomBytes(4).toString('hex')}.bin`
    await nginx.seed(location, bytes)
    const storage = storageFor(good(), site)
    expect(await storage.stat(location)).toMatchObject({ location, size: bytes.length })
    expect(sha256(await readAll(storage.open(location, { start: 100, end: 200 })))).toBe(sha256(bytes.subarray(100, 200)))
    expect((await storage.download(location, join(scratch, `${site}.bin`))).digest).toBe(sha256(bytes))
    await storage.close()
  })

  it('with a wrong credential, fails with AccessDeniedError after one request per operation, without a secret in the message', async () => {
    const location = `${site}/${randomBytes(4).toString('hex')}.bin`
    await nginx.seed(location, bytes)
    const options = bad()
    const storage = storageFor(options, site)
    for (const action of [() => storage.stat(location), () => readAll(storage.open(location)), () => storage.download(location, join(scratch, 'denied.bin'))]) {
      const error = await failureOf(action)
      expect(error.code).toBe('ACCESS_DENIED')
      expect(error.message).toMatch(/401/)
      for (const secret of [nginx.credentials.password, nginx.credentials.bearerToken, nginx.credentials.apiKey, 'wrong', 'not-the']) {
        expect(error.message).not.toContain(secret)
      }
    }
    // Three operations, three requests: a 401 is never retried.
    const seen = await nginx.requests(location, (lines) => lines.length >= 3)
    expect(seen.map((r) => r.status)).toEqual([401, 401, 401])
    await storage.close()
  })

  it('without credentials, is refused', async () => {
    const location = `${site}/${randomBytes(4).toString('hex')}.bin`
    await nginx.seed(location, bytes)
    const storage = storageFor({}, site)
    expect((await failureOf(() => storage.stat(location))).code).toBe('ACCESS_DENIED')
    await storage.close()
  })
})

describe('redirects', () => {
  it('follows a redirect on the same origin and keeps sending the credentials', async () => {
    const location = `hop/${randomBytes(4).toString('hex')}.bin`
    await nginx.seed(location, bytes)
    const storage = storageFor({ authType: 'Bearer', authToken: nginx.credentials.bearerToken }, 'hop')
    expect((await storage.download(location, join(scratch, 'hop.bin'))).digest).toBe(sha256(bytes))
    expect((await nginx.requests(`/hop/${location}`, (lines) => lines.length >= 1)).map((r) => r.status)).toEqual([302])
    expect((await nginx.requests(`/bearer/${location}`, (lines) => lines.length >= 1)).map((r) => r.status)).toEqual([200])
    await storage.close()
  })

  it('follows a redirect to another origin without credentials or configured headers', async () => {
    const storage = storageFor(
      { authType: 'Bearer', authToken: nginx.credentials.bearerToken, headers: { 'X-Team': 'secret-team-header' } },
      'away',
    )
    const apiKeyStorage = storageFor({ authType: 'APIKey', authToken: nginx.credentials.apiKey, apiKeyHeader: 'X-Team-Key' }, 'away')
    const before = recorder.received.length
    expect((await storage.download('elsewhere/a.bin', join(scratch, 'away.bin'))).digest).toBe(sha256(RECORDER_BODY))
    expect(await apiKeyStorage.stat('elsewhere/b.bin')).toMatchObject({ size: RECORDER_BODY.length })
    const received = recorder.received.slice(before)
    expect(received.map((r) => r.url)).toEqual(['/elsewhere/a.bin', '/elsewhere/b.bin'])
    for (const { headers } of received) {
      expect(headers.authorization).toBeUndefined()
      expect(headers['x-team']).toBeUndefined()
      expect(headers['x-team-key']).toBeUndefined()
    }
    // nginx, the configured origin, did get them: its redirect answered the authorised request.
    expect((await nginx.requests('/away/elsewhere/', (lines) => lines.length >= 2)).map((r) => r.status)).toEqual([302, 302])
    await storage.close()
    await apiKeyStorage.close()
  })
})
