import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AssetConfig, BaseAssetManager, blobLocation, createAssetManager, type Storage, sha256, stackOf } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'

const importer = (specifier: string) => import(specifier)

/**
 * The local storage as a network store sees it: no atomic rename (so every file goes through
 * core's file-by-file put, as on S3), small blobs written without asking (the
 * `writeWithoutAskingBelow` capability, as the S3 storage declares), and its `stat` calls counted.
 */
function networkLike(storage: Storage, below: number): { storage: Storage; stats: string[] } {
  const stats: string[] = []
  const capabilities = { ...storage.capabilities, atomicMove: false, writeWithoutAskingBelow: below }
  const wrapped = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'capabilities') return capabilities
      if (property === 'stat') {
        return (location: string) => {
          stats.push(location)
          return target.stat(location)
        }
      }
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { storage: wrapped, stats }
}

describe('small blobs written without asking first', () => {
  it('asks only about blobs above the limit, and a second put of the same folder registers the same content', async () => {
    const home = await temporaryFolder('write-without-asking')
    const folder = join(home, 'run')
    await mkdir(join(folder, 'chunks'), { recursive: true })
    const small = Array.from({ length: 12 }, (_, i) => ({ path: `chunks/${i}`, bytes: randomBytes(100 + i * 50) }))
    const large = { path: 'weights.bin', bytes: randomBytes(8192) }
    for (const f of [...small, large]) await writeFile(join(folder, f.path), f.bytes)
    const manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home }), { importer })
    try {
      const { parts, actor } = stackOf(manager)
      const network = networkLike(parts.storage, 4096)
      const through = new BaseAssetManager({ ...parts, storage: network.storage }, actor)

      const first = await through.put('outputs/run', folder, {}, { kind: 'output' })
      // Asked about: the large file, and the manifest (stored by storeBytes, which always asks); no small file.
      expect(network.stats.filter((l) => l.startsWith('blobs/')).sort()).toEqual([blobLocation(sha256(large.bytes)), blobLocation(first.digest as `sha256:${string}`)].sort())

      // The same folder again: its small blobs are written over themselves, the content is the same.
      const second = await through.put('outputs/run', folder, {}, { kind: 'output' })
      expect(second.digest).toBe(first.digest)
      const out = await manager.get('outputs/run', second.version)
      for (const f of [...small, large]) expect((await readFile(join(out, f.path))).equals(f.bytes)).toBe(true)
      expect((await manager.verify('outputs/run')).problems).toEqual([])
    } finally {
      await manager.close()
    }
  })
})
