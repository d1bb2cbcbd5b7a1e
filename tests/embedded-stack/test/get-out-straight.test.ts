import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalCache, type LocalCache } from '@assets/cache-local'
import { BaseAssetManager, blobLocation, type ContentDigest } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { rejection, temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const homes: string[] = []
afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

/**
 * The embedded default, with a folder asset put and never fetched: the cache is cold. Enough
 * small files for the threaded copy (threaded-copy-out.ts), and one large file streamed.
 */
async function stackWithFolder() {
  const home = await temporaryFolder('assets-out-straight')
  homes.push(home)
  const storage = createLocalStorage({ path: join(home, 'storage') })
  const cache = createLocalCache({ path: join(home, 'cache') })
  const manager = new BaseAssetManager({ storage, registry: createSqliteRegistry({ path: join(home, 'registry.db') }), cache }, { user: 'alice' })
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 600; i++) files[`d${i % 4}/f${i}.bin`] = randomBytes(500 + ((i * 37) % 3000))
  files['big/weights.bin'] = randomBytes((1 << 20) + 4096)
  const source = join(home, 'cells.zarr')
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(source, path, '..'), { recursive: true })
    await writeFile(join(source, path), bytes)
  }
  const put = await manager.put('out/folder', source)
  const inStore = (location: string) => join(home, 'storage', ...location.split('/'))
  const manifest = JSON.parse(await readFile(inStore(put.location), 'utf8')) as { files: Array<{ path: string; digest: ContentDigest }> }
  /** The blob location of one of the folder's files, and where that lies on disk. */
  const blobOf = (path: string) => {
    const entry = manifest.files.find((f) => f.path === path)
    if (!entry) throw new Error(`no ${path} in the manifest`)
    return { location: blobLocation(entry.digest), file: inStore(blobLocation(entry.digest)) }
  }
  return { home, manager, cache: cache as LocalCache, files, digest: put.digest, blobOf }
}

describe('a cold get --out on the embedded default fetches straight from storage', () => {
  it('writes every file to out, verified and writable, and leaves the cache as it was', async () => {
    const s = await stackWithFolder()
    const out = join(s.home, 'copies', 'mine')
    expect(await s.manager.get('out/folder', 'latest', { out })).toBe(out)
    for (const [path, bytes] of Object.entries(s.files)) {
      expect((await readFile(join(out, path))).equals(bytes)).toBe(true)
      expect((await stat(join(out, path))).mode & 0o200).toBe(0o200)
    }
    expect((await readdir(join(out, 'd0'))).length).toBe(150)
    // Nothing went through the cache: the next plain get fills it.
    expect(await s.cache.has(`folder:${s.digest}`)).toBe(false)
    const cached = await s.manager.get('out/folder')
    expect((await readFile(join(cached, 'd1/f1.bin'))).equals(s.files['d1/f1.bin'] as Buffer)).toBe(true)
    expect(await s.cache.has(`folder:${s.digest}`)).toBe(true)
    await s.manager.close()
  })

  for (const which of ['a small file', 'a large file'] as const) {
    it(`fails on ${which} whose stored bytes do not match the manifest, leaving no out folder and nothing beside it`, async () => {
      const s = await stackWithFolder()
      const path = which === 'a small file' ? 'd2/f6.bin' : 'big/weights.bin'
      const blob = s.blobOf(path)
      // Same size, other bytes: only the digest can tell.
      await chmod(blob.file, 0o600)
      await writeFile(blob.file, randomBytes((s.files[path] as Buffer).length))
      const parent = join(s.home, 'copies')
      await mkdir(parent)
      const error = await rejection(s.manager.get('out/folder', 'latest', { out: join(parent, 'mine') }))
      expect(error.code).toBe('INTEGRITY_ERROR')
      expect(error.message).toContain(blob.location)
      // Neither the out folder nor the temporary one it was built in is left.
      expect(await readdir(parent)).toEqual([])
      expect(await s.cache.has(`folder:${s.digest}`)).toBe(false)
      await s.manager.close()
    })
  }

  it('a link planted in place of a blob is not followed: the get fails and leaves nothing', async () => {
    const s = await stackWithFolder()
    const blob = s.blobOf('d1/f9.bin')
    const decoy = join(s.home, 'decoy.bin')
    await writeFile(decoy, s.files['d1/f9.bin'] as Buffer)
    await rm(blob.file)
    await symlink(decoy, blob.file)
    const parent = join(s.home, 'copies')
    await mkdir(parent)
    const error = await rejection(s.manager.get('out/folder', 'latest', { out: join(parent, 'mine') }))
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toContain(blob.location)
    expect(await readdir(parent)).toEqual([])
    await s.manager.close()
  })

  it('a missing blob fails the same way', async () => {
    const s = await stackWithFolder()
    await rm(s.blobOf('d3/f7.bin').file)
    const parent = join(s.home, 'copies')
    await mkdir(parent)
    expect((await rejection(s.manager.get('out/folder', 'latest', { out: `${parent}/` }))).code).toBe('INTEGRITY_ERROR')
    expect(await readdir(parent)).toEqual([])
    await s.manager.close()
  })
})

