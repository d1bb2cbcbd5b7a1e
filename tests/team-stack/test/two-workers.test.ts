import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createRedisCache } from '@assets/cache-redis'
import { BaseAssetManager } from '@assets/core'
import { createPostgresRegistry } from '@assets/registry-postgres'
import { createLocalStorage } from '@assets/storage-local'
import { temporaryFolder } from '@assets/testkit'
import { expect, inject, it } from 'vitest'

/** Two workers on two "machines": their own local caches, one registry, storage and Redis. */
async function twoWorkers() {
  const shared = await temporaryFolder('assets-team-shared')
  const prefix = `assets-test:${randomBytes(4).toString('hex')}:`
  const worker = async (user: string) => {
    const local = await temporaryFolder('assets-team-machine')
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(shared, 'storage') }),
        registry: createPostgresRegistry({ host: '127.0.0.1', user: 'postgres', database: inject('pgDatabase') }),
        cache: createRedisCache({ url: 'redis://127.0.0.1:6379', path: local, keyPrefix: prefix }),
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
  return { a: await worker('alice'), b: await worker('alice'), file, key: `team/${randomBytes(4).toString('hex')}` }
}

it('no worker serves a replaced latest, tag or ACL after another worker changed it', async () => {
  const { a, b, file, key } = await twoWorkers()
  try {
    await a.put(key, await file('one'))
    expect((await b.getMetadata(key)).version).toBe('1.0.0')
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
  } finally {
    await a.close()
    await b.close()
  }
})

it('content one worker fetched reaches the other through Redis, verified', async () => {
  const { a, b, file, key } = await twoWorkers()
  try {
    const bytes = randomBytes(256 * 1024).toString('base64')
    const put = await a.put(key, await file(bytes))
    expect(await readFile(await a.get(key), 'utf8')).toBe(bytes)
    // With the stored copy gone, b can only have it from the Redis tier.
    await a.storage.delete(put.location)
    expect(await readFile(await b.get(key), 'utf8')).toBe(bytes)
  } finally {
    await a.close()
    await b.close()
  }
})
