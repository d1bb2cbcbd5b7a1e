import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createHttpStorage } from '@assets/storage-http'
import { afterAll, beforeAll, expect, it } from 'vitest'
// The HTTP plugin's own nginx fixture: a real web server whose access log counts what it sent.
import { NginxServer } from '../../storage-http/test/fixtures/nginx-server.js'
import type { S3Cache } from '../src/index.js'
import { Machines, randomPrefix } from './fixtures/machines.js'

let nginx: NginxServer
const machines = new Machines()
const silent = { warn: () => {}, info: () => {} }

beforeAll(async () => {
  nginx = await NginxServer.start()
})

afterAll(async () => {
  await machines.cleanup()
  await nginx?.stop()
})

/** Loopback http:// is allowed here, explicitly: the source is the test's own nginx. */
function source() {
  return createHttpStorage({ baseUrl: nginx.url('dav'), retryBaseDelayMs: 20 }, { allowInsecureStorage: true, logger: silent })
}

it('two workers with their own local caches fetch one asset from the source once, through the bucket', async () => {
  const shared = await machines.folder()
  const registry = join(shared, 'registry.db')
  const publisher = new BaseAssetManager({ storage: source(), registry: createSqliteRegistry({ path: registry }) }, { user: 'alice' })
  const bytes = randomBytes(6 * 1024 * 1024)
  const file = join(shared, 'weights.bin')
  await writeFile(file, bytes)
  const key = `team/${randomBytes(4).toString('hex')}`
  const put = await publisher.put(key, file)
  await publisher.close()

  const prefix = randomPrefix('workers')
  const caches: S3Cache[] = []
  const worker = async () => {
    const cache = await machines.machine({ prefix })
    caches.push(cache)
    return new BaseAssetManager({ storage: source(), registry: createSqliteRegistry({ path: registry }), cache }, { user: 'alice' })
  }
  const [a, b] = [await worker(), await worker()]
  try {
    const before = await nginx.requests(put.location)
    const paths = await Promise.all([a.get(key), b.get(key)])
    for (const path of paths) expect((await readFile(path)).equals(bytes)).toBe(true)

    // The source sent the content's bytes once, whichever worker asked first.
    const gets = (await nginx.requests(put.location)).slice(before.length).filter((request) => request.method === 'GET')
    expect(gets.reduce((sum, request) => sum + request.bytes, 0)).toBe(bytes.length)
    // The other worker had it from the bucket, into its own local tier.
    const fromBucket = (await Promise.all(caches.map((cache) => cache.stats()))).map((stats) => stats.s3.hits)
    expect(fromBucket.sort()).toEqual([0, 1])
  } finally {
    await a.close()
    await b.close()
  }
})
