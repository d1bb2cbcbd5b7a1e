import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpStorage, type HttpStorage } from '../src/index.js'
import { NginxServer } from './fixtures/nginx-server.js'
import { failureOf, LOOPBACK, readAll } from './fixtures/storage-context.js'

let nginx: NginxServer
let storage: HttpStorage
let scratch: string

beforeAll(async () => {
  nginx = await NginxServer.start()
  storage = createHttpStorage({ baseUrl: nginx.url('dav'), retryBaseDelayMs: 5 }, LOOPBACK)
  scratch = await temporaryFolder('storage-http-locations')
})

afterAll(async () => {
  await storage?.close()
  await nginx?.stop()
  await rm(scratch, { recursive: true, force: true })
})

async function* bytesOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

describe('locations', () => {
  const escapes = ['../escape', 'a/../../escape', '/etc/passwd', 'a\\..\\b', 'a\u0000b', 'a//b', 'a/', '', '.', '..', './a', 'line\nbreak']

  it.each(escapes)('refuses %j with InvalidKeyError for every operation, before any request', async (location) => {
    const before = (await nginx.requests('/')).length
    const drain = async (iterable: AsyncIterable<unknown>) => {
      for await (const _ of iterable);
    }
    for (const action of [
      () => storage.upload(location, bytesOf(Buffer.from('x'))),
      () => storage.download(location, join(scratch, 'out')),
      () => drain(storage.open(location)),
      () => storage.stat(location),
      () => storage.delete(location),
      () => storage.move(location, 'elsewhere'),
      () => storage.move('elsewhere', location),
    ]) {
      expect((await failureOf(action)).code).toBe('INVALID_KEY')
    }
    expect((await nginx.requests('/')).length).toBe(before)
  })

  it('percent-encodes segments, so characters with a meaning in URLs round-trip', async () => {
    const location = `odd/${randomBytes(3).toString('hex')}/a b#c?d%e+f.bin`
    const bytes = randomBytes(1000)
    await storage.upload(location, bytesOf(bytes))
    expect(await storage.stat(location)).toMatchObject({ location, size: 1000 })
    expect(sha256(await readAll(storage.open(location)))).toBe(sha256(bytes))
    const listed: string[] = []
    for await (const info of storage.list(location.slice(0, location.lastIndexOf('/') + 1))) listed.push(info.location)
    expect(listed).toEqual([location])
  })

  it('a location that is a folder is no object: stat is null, open and download fail with NotFoundError', async () => {
    const folder = `folder-${randomBytes(3).toString('hex')}`
    await storage.upload(`${folder}/inner.bin`, bytesOf(Buffer.from('inner')))
    expect(await storage.stat(folder)).toBeNull()
    expect((await failureOf(() => readAll(storage.open(folder)))).code).toBe('ASSET_NOT_FOUND')
    expect((await failureOf(() => storage.download(folder, join(scratch, 'folder.bin')))).code).toBe('ASSET_NOT_FOUND')
  })
})
