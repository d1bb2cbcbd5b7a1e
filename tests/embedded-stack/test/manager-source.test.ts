import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AssetConfig, BaseAssetManager, checkOptions, ConfigInvalidError, createAssetManager, folderDigest, stackOf, Type } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'

const importer = (specifier: string) => import(specifier)

describe('what specialised managers build on', () => {
  it('folderDigest is the digest a put registers for the same folder, computed without storing it', async () => {
    const home = await temporaryFolder('manager-source')
    const folder = join(home, 'store.zarr')
    await mkdir(join(folder, 'X', '0'), { recursive: true })
    await writeFile(join(folder, '.zgroup'), '{"zarr_format": 2}')
    await writeFile(join(folder, 'X', '0', '0'), randomBytes(2048))
    const manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home }), { importer })
    try {
      const digest = await folderDigest(folder)
      expect((await manager.findAssets()).items).toHaveLength(0)
      const put = await manager.put('datasets/store', folder, {}, { kind: 'dataset' })
      expect(put.type).toBe('folder')
      expect(put.digest).toBe(digest)
    } finally {
      await manager.close()
    }
  })

  it('stackOf shares a manager’s parts and keeps its actor unless another is given', async () => {
    const home = await temporaryFolder('manager-source')
    const manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home }), { importer })
    try {
      const same = stackOf(manager)
      expect(same.parts).toBe(manager.stack())
      expect(same.actor).toEqual(manager.actor)
      const other = stackOf(manager, { user: 'bob' })
      const asBob = new BaseAssetManager(other.parts, other.actor)
      expect(asBob.actor.user).toBe('bob')
      expect(asBob.storage).toBe(manager.storage)
      expect(() => stackOf(manager.stack())).toThrow(/an actor/)
    } finally {
      await manager.close()
    }
  })

  it('checkOptions lists every bad option under the manager’s name', () => {
    const schema = Type.Object({ ttl: Type.Integer({ minimum: 1 }), name: Type.String() }, { additionalProperties: false })
    expect(checkOptions(schema, { ttl: 5, name: 'x' }, 'outputs')).toEqual({ ttl: 5, name: 'x' })
    let error: unknown
    try {
      checkOptions(schema, { ttl: 0, extra: true }, 'outputs')
    } catch (e) {
      error = e
    }
    expect(ConfigInvalidError.isInstance(error)).toBe(true)
    const fields = (error as ConfigInvalidError).problems.map((p) => p.field).sort()
    expect(fields).toEqual(['outputs.extra', 'outputs.name', 'outputs.ttl'])
  })
})
