import { createHash, randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BaseAssetManager } from '@assets/core'
import { createPostgresRegistry } from '@assets/registry-postgres'
import { createLocalStorage } from '@assets/storage-local'
import { temporaryFolder } from '@assets/testkit'
import postgres from 'postgres'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMemcachedCache } from '../src/index.js'
import { randomPrefix, rawClient } from './fixtures/machines.js'
import { OwnMemcachedServer } from './fixtures/memcached-server.js'

// The shared PostgreSQL server (127.0.0.1:5432, trust auth, database `test`): each run works in
// a schema of its own, dropped afterwards. A missing server fails the run: nothing is skipped.
const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres', database: 'test' }

let server: OwnMemcachedServer
const schemas: string[] = []
const folders: string[] = []

beforeAll(async () => {
  server = await OwnMemcachedServer.start()
})

afterAll(async () => {
  await server?.stop()
  const sql = postgres({ ...PG, max: 1, onnotice: () => {} })
  for (const schema of schemas) await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await sql.end()
  await Promise.all(folders.map((path) => rm(path, { recursive: true, force: true })))
})

/** Two workers on two "machines": their own local caches, one registry, storage and memcached. */
async function twoWorkers() {
  const shared = await temporaryFolder('assets-memcached-shared')
  const schema = `memcached_${randomBytes(4).toString('hex')}`
  schemas.push(schema)
  folders.push(shared)
  const keyPrefix = randomPrefix('workers')
  const worker = async (user: string) => {
    const local = await temporaryFolder('assets-memcached-machine')
    folders.push(local)
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(shared, 'storage') }),
        registry: createPostgresRegistry({ ...PG, schema }),
        cache: createMemcachedCache({ servers: server.servers, path: local, keyPrefix }),
        // Look-ups go through the memcached tier for an hour: only invalidation keeps them fresh.
        metadataTtl: 3600,
      },
      { user },
    )
  }
  const file = async (text: string) => {
    const path = join(shared, `${randomBytes(4).toString('hex')}.txt`)
    await writeFile(path, text)
    return path
  }
  // Where the manager's cached look-up of a key lives (MetadataCache's `meta:<key>` value).
  const lookupItem = (key: string) => `${keyPrefix}value:${createHash('sha256').update(`meta:${key}`).digest('hex')}`
  return { a: await worker('alice'), b: await worker('alice'), file, lookupItem, key: `team/${randomBytes(4).toString('hex')}` }
}

it('no worker serves a replaced latest, tag or ACL after another worker changed it', async () => {
  const { a, b, file, key, lookupItem } = await twoWorkers()
  const raw = rawClient(server.servers)
  try {
    await a.put(key, await file('one'))
    expect((await b.getMetadata(key)).version).toBe('1.0.0')
    // The look-up went through memcached: the test would prove nothing otherwise.
    expect((await raw.get(lookupItem(key))).value?.toString()).toContain('"1.0.0"')
    await a.put(key, await file('two'))
    expect((await b.getMetadata(key)).version).toBe('1.0.1')
    await a.tag(key, 'prod', '1.0.0')
    expect((await b.getMetadata(key, 'prod')).version).toBe('1.0.0')
    await a.tag(key, 'prod', '1.0.1')
    expect((await b.getMetadata(key, 'prod')).version).toBe('1.0.1')
    const carol = b.as({ user: 'carol' })
    expect((await carol.getMetadata(key)).version).toBe('1.0.1')
    await a.setAccessControl(key, { read: [] })
    await expect(carol.get(key)).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
    await expect(carol.getMetadata(key)).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
  } finally {
    raw.close()
    await a.close()
    await b.close()
  }
})

it('small content one worker fetched reaches the other through memcached, verified', async () => {
  const { a, b, file, key } = await twoWorkers()
  try {
    const text = randomBytes(256 * 1024).toString('base64')
    const put = await a.put(key, await file(text))
    expect(await readFile(await a.get(key), 'utf8')).toBe(text)
    // With the stored copy gone, b can only have it from the memcached tier.
    await a.storage.delete(put.location)
    expect(await readFile(await b.get(key), 'utf8')).toBe(text)
  } finally {
    await a.close()
    await b.close()
  }
})
