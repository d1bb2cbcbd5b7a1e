import { randomBytes } from 'node:crypto'
import { chmod, chown, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalCache, type LocalCache } from '@assets/cache-local'
import { BaseAssetManager, blobLocation, type CacheSetOptions, type ContentDigest } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { rejection, temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const homes: string[] = []
afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

/**
 * A folder put and never fetched, on a cache that takes copies, not hard links (`hardlinks:
 * 'never'`, as a cache does for root, whose read-only modes protect nothing): enough small files
 * that a cold get fills the cache on threads (content-store.ts, fetchFolder), and one large file
 * fetched on the event loop.
 */
async function stackWithFolder(hardlinks: 'never' | 'always' = 'never') {
  const home = await temporaryFolder('assets-fill-threads')
  homes.push(home)
  const storage = createLocalStorage({ path: join(home, 'storage') })
  const cache = createLocalCache({ path: join(home, 'cache'), hardlinks })
  const manager = new BaseAssetManager({ storage, registry: createSqliteRegistry({ path: join(home, 'registry.db') }), cache }, { user: 'alice' })
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 600; i++) files[`d${i % 3}/f${i}.bin`] = randomBytes(300 + ((i * 53) % 3000))
  files['big/weights.bin'] = randomBytes((1 << 20) + 100)
  const source = join(home, 'cells.zarr')
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(source, path, '..'), { recursive: true })
    await writeFile(join(source, path), bytes)
  }
  const put = await manager.put('fill/folder', source)
  const inStore = (location: string) => join(home, 'storage', ...location.split('/'))
  const manifest = JSON.parse(await readFile(inStore(put.location), 'utf8')) as { files: Array<{ path: string; digest: ContentDigest }> }
  const blobOf = (path: string) => {
    const entry = manifest.files.find((f) => f.path === path)
    if (!entry) throw new Error(`no ${path} in the manifest`)
    return { location: blobLocation(entry.digest), file: inStore(blobLocation(entry.digest)) }
  }
  const key = `folder:${put.digest}`
  // The manifest's first small file: a fill links it on the event loop where it links at all.
  const firstSmall = manifest.files.find((f) => f.path !== 'big/weights.bin')?.path
  return { home, manager, cache: cache as LocalCache, files, key, blobOf, firstSmall }
}

describe('a cold get of a folder of many small files fills the cache on threads', () => {
  it('brings every file, byte for byte and sealed read-only, and a second get is a hit', async () => {
    const s = await stackWithFolder()
    const path = await s.manager.get('fill/folder')
    for (const [name, bytes] of Object.entries(s.files)) {
      expect((await readFile(join(path, name))).equals(bytes), name).toBe(true)
      expect((await stat(join(path, name))).mode & 0o222, name).toBe(0)
    }
    expect(await s.cache.has(s.key)).toBe(true)
    expect(await s.manager.get('fill/folder')).toBe(path)
    await s.manager.close()
  })

  // The cache's mode given to the threads, which seal each file as they make it and hand the
  // cache its identity, so that set() makes no pass of its own over 10⁵ files.
  it.each(['never', 'always'] as const)('seals the files as they are made and gives the cache each one as a stat finds it (hardlinks: %s)', async (hardlinks) => {
    const s = await stackWithFolder(hardlinks)
    const given: CacheSetOptions[] = []
    const set = s.cache.set.bind(s.cache)
    s.cache.set = (key, path, options) => {
      given.push(options ?? {})
      return set(key, path, options)
    }
    const path = await s.manager.get('fill/folder')
    const files = given[0]?.files ?? []
    expect(files.map((file) => file.path).sort()).toEqual(Object.keys(s.files).sort())
    // The manifest's first small file may be linked (a reflink where the filesystem clones) on
    // the event loop, as the large one is fetched there.
    const onLoop = ['big/weights.bin', s.firstSmall]
    for (const file of files) {
      const info = await stat(join(path, file.path))
      expect({ size: file.size, mtimeMs: file.mtimeMs, ino: file.ino }, file.path).toEqual({ size: info.size, mtimeMs: info.mtimeMs, ino: info.ino })
      if (onLoop.includes(file.path)) {
        // Made on the event loop: given as it was, sealed by the cache.
        expect(info.mode & 0o222).toBe(0)
        continue
      }
      // Given sealed: a copy 0400 by the threads, a link in the blob's read-only mode.
      expect(file.mode, file.path).toBe(info.mode & 0o7777)
      expect(file.mode & 0o222, file.path).toBe(0)
      if (hardlinks === 'never') expect(file.mode, file.path).toBe(0o400)
      else expect(info.ino, file.path).toBe((await stat(s.blobOf(file.path).file)).ino)
    }
    expect(await s.cache.verify()).toEqual({ checked: 1, removed: [] })
    expect(await s.manager.get('fill/folder')).toBe(path)
    await s.manager.close()
  })

  it('links instead, one copy on disk, where the cache takes hard links', async () => {
    const s = await stackWithFolder('always')
    // A blob left writable: it is made read-only before any other name of it is made.
    await chmod(s.blobOf('d2/f5.bin').file, 0o644)
    const path = await s.manager.get('fill/folder')
    for (const [name, bytes] of Object.entries(s.files)) {
      expect((await readFile(join(path, name))).equals(bytes), name).toBe(true)
      const [entry, blob] = [await stat(join(path, name)), await stat(s.blobOf(name).file)]
      expect(entry.ino, name).toBe(blob.ino)
      expect(blob.mode & 0o222, name).toBe(0)
    }
    await s.manager.close()
  })

  it('with hard links, copies a blob another user owns instead of linking it, and leaves its mode alone', async () => {
    const s = await stackWithFolder('always')
    const blob = s.blobOf('d0/f9.bin')
    await chmod(blob.file, 0o644)
    await chown(blob.file, 65534, 65534)
    const path = await s.manager.get('fill/folder')
    expect((await readFile(join(path, 'd0/f9.bin'))).equals(s.files['d0/f9.bin'] as Buffer)).toBe(true)
    expect((await stat(join(path, 'd0/f9.bin'))).ino).not.toBe((await stat(blob.file)).ino)
    expect((await stat(blob.file)).mode & 0o777).toBe(0o644)
    // The others are still links.
    expect((await stat(join(path, 'd1/f10.bin'))).ino).toBe((await stat(s.blobOf('d1/f10.bin').file)).ino)
    await s.manager.close()
  })

  it("with hard links, copies the blobs another user owns when most are theirs (a shared store), and links our own", async () => {
    const s = await stackWithFolder('always')
    const theirs = Object.keys(s.files).filter((name) => name !== 'd0/f0.bin' && name !== 'd1/f1.bin' && name !== 'big/weights.bin')
    for (const name of theirs) await chown(s.blobOf(name).file, 65534, 65534)
    const path = await s.manager.get('fill/folder')
    for (const [name, bytes] of Object.entries(s.files)) {
      expect((await readFile(join(path, name))).equals(bytes), name).toBe(true)
      const linked = (await stat(join(path, name))).ino === (await stat(s.blobOf(name).file)).ino
      expect(linked, name).toBe(!theirs.includes(name))
    }
    expect((await s.manager.verify('fill/folder')).problems).toEqual([])
    // The two passes' identities went to the files they were taken from: the entry, whose
    // every file the cache's verify compares, is intact and found again.
    expect(await s.cache.verify()).toEqual({ checked: 1, removed: [] })
    expect(await s.manager.get('fill/folder')).toBe(path)
    await s.manager.close()
  })

  // On both paths: copies (a cache that takes none) and hard links, each checked on the threads.
  it.each(['never', 'always'] as const)('refuses a small blob whose bytes do not match the manifest (hardlinks: %s): caches nothing, links nothing to it', async (hardlinks) => {
    const s = await stackWithFolder(hardlinks)
    const blob = s.blobOf('d1/f7.bin')
    // Same size, other bytes: only the digest tells.
    await chmod(blob.file, 0o600)
    await writeFile(blob.file, randomBytes((s.files['d1/f7.bin'] as Buffer).length))
    const error = await rejection(s.manager.get('fill/folder'))
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toContain(blob.location)
    // The threads' wording (the per-file path's says "linked from storage"): it was checked there.
    expect(error.message).toContain(' bytes with digest ')
    expect(await s.cache.has(s.key)).toBe(false)
    expect((await stat(blob.file)).nlink).toBe(1)
    await s.manager.close()
  })

  it.each(['never', 'always'] as const)('does not follow a link planted in place of a blob (hardlinks: %s)', async (hardlinks) => {
    const s = await stackWithFolder(hardlinks)
    const blob = s.blobOf('d2/f11.bin')
    const decoy = join(s.home, 'decoy.bin')
    await writeFile(decoy, s.files['d2/f11.bin'] as Buffer, { mode: 0o644 })
    await rm(blob.file)
    await symlink(decoy, blob.file)
    const error = await rejection(s.manager.get('fill/folder'))
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toContain(blob.location)
    expect(await s.cache.has(s.key)).toBe(false)
    // Neither linked nor made read-only.
    expect((await stat(decoy)).nlink).toBe(1)
    expect((await stat(decoy)).mode & 0o777).toBe(0o644)
    await s.manager.close()
  })

  it('resumes an earlier attempt left in the staging folder, with a partial and a damaged file, and verifies every file', async () => {
    const s = await stackWithFolder()
    // What a process killed half-way through its fill leaves: some files whole, one cut short,
    // one of the right length with other bytes.
    const staging = s.cache.stagingPath(s.key)
    for (const name of ['d0/f0.bin', 'd0/f3.bin', 'd1/f1.bin']) await mkdir(join(staging, name, '..'), { recursive: true })
    await writeFile(join(staging, 'd0/f0.bin'), s.files['d0/f0.bin'] as Buffer)
    await writeFile(join(staging, 'd0/f3.bin'), (s.files['d0/f3.bin'] as Buffer).subarray(0, 100))
    await writeFile(join(staging, 'd1/f1.bin'), randomBytes((s.files['d1/f1.bin'] as Buffer).length))
    const path = await s.manager.get('fill/folder')
    for (const [name, bytes] of Object.entries(s.files)) expect((await readFile(join(path, name))).equals(bytes), name).toBe(true)
    expect((await s.manager.verify('fill/folder')).problems).toEqual([])
    await s.manager.close()
  })
})
