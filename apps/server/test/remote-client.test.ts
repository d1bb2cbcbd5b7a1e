import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AssetConfig, type BaseAssetManager, createAssetManager } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientEnv, type ServerStack, startServerStack } from './fixtures/server-stack.js'

const importer = (specifier: string) => import(specifier)
const requests: string[] = []
let stack: ServerStack

async function client(user: string): Promise<BaseAssetManager> {
  const home = await temporaryFolder('assets-client')
  return createAssetManager(AssetConfig.load({ env: clientEnv(stack, user, home), cwd: home }), { importer })
}

beforeAll(async () => {
  stack = await startServerStack({ requestLog: requests })
})
afterAll(() => stack?.close())

describe('the library through the server (@assets/remote)', () => {
  it('acts as the token’s actor, whatever the client claims', async () => {
    const alice = await client('alice')
    expect(alice.actor).toEqual({ user: 'alice', groups: ['lab'], roles: [] })
    await alice.close()
  })

  it('keeps the local cache in front: a warm get asks the server which version, never for the bytes', async () => {
    const alice = await client('alice')
    const source = join(await temporaryFolder('assets-source'), 'pbmc.h5ad')
    await writeFile(source, 'first version')
    await alice.put('datasets/warm', source, { organism: 'human' }, { kind: 'dataset', tags: ['prod'] })
    const first = await alice.get('datasets/warm', 'prod')
    expect(await readFile(first, 'utf8')).toBe('first version')
    requests.length = 0
    expect(await alice.get('datasets/warm', 'prod')).toBe(first)
    expect(requests.some((r) => r.includes('/v1/content/'))).toBe(false)
    expect(requests.some((r) => r.includes('/v1/info/datasets/warm') || r.includes('/v1/record/datasets/warm'))).toBe(true)

    // Another client moves the tag: the next get resolves the new version at once.
    await writeFile(source, 'second version')
    const admin = await client('admin')
    const second = await admin.put('datasets/warm', source, { organism: 'human' }, { kind: 'dataset' })
    await admin.tag('datasets/warm', 'prod', second.version)
    expect(await readFile(await alice.get('datasets/warm', 'prod'), 'utf8')).toBe('second version')
    await Promise.all([alice.close(), admin.close()])
  })

  it('puts and gets a folder, and a reader without access learns nothing', async () => {
    const alice = await client('alice')
    const folder = join(await temporaryFolder('assets-folder'), 'store.zarr')
    await mkdir(join(folder, 'X'), { recursive: true })
    await writeFile(join(folder, '.zgroup'), '{"zarr_format": 2}')
    await writeFile(join(folder, 'X', '0.0'), Buffer.alloc(70_000, 7))
    const put = await alice.put('datasets/private-zarr', folder, {}, { kind: 'dataset', accessControl: { read: ['group:lab'] } })
    expect(put.fileCount).toBe(2)
    const got = await alice.get('datasets/private-zarr')
    expect(await readFile(join(got, 'X', '0.0'))).toEqual(Buffer.alloc(70_000, 7))

    const bob = await client('bob')
    await expect(bob.get('datasets/private-zarr')).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
    await expect(bob.getMetadata('datasets/never-was')).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
    expect((await bob.findAssets({ keyPrefix: 'datasets/' })).items.map((r) => r.key)).not.toContain('datasets/private-zarr')
    await expect(bob.tag('datasets/warm', 'mine', 'latest')).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
    await expect(bob.gc({ dryRun: true })).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
    await Promise.all([alice.close(), bob.close()])
  })

  it('refuses a wrong token with UNAUTHENTICATED before anything else', async () => {
    const home = await temporaryFolder('assets-client')
    const env = { ...clientEnv(stack, 'alice', home), ASSETS_TOKEN: 'assets_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }
    await expect(createAssetManager(AssetConfig.load({ env, cwd: home }), { importer })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
  })

  it('refuses half a server: the remote registry with local storage, at once', async () => {
    const home = await temporaryFolder('assets-client')
    const env = { ...clientEnv(stack, 'alice', home), STORAGE_TYPE: 'local' }
    await expect(createAssetManager(AssetConfig.load({ env, cwd: home }), { importer })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
