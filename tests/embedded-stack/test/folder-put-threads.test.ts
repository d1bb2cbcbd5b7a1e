import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BaseAssetManager, blobLocation, type ContentDigest } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const homes: string[] = []
afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

/**
 * Enough small files for a folder put on threads (threaded-folder-put.ts): many of them share
 * their bytes (within a batch, across the threads' slices, and across batches of 2 048), and one
 * is larger than a small file, so that the threads hand it to the event loop.
 */
async function folderOfMany(home: string, name: string) {
  const shared = [randomBytes(700), randomBytes(1500), Buffer.alloc(0)]
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 5000; i++) files[`part${i % 7}/f${i}.bin`] = i % 10 === 0 ? (shared[i % 3] as Buffer) : randomBytes(200 + ((i * 31) % 2500))
  files['large/weights.bin'] = randomBytes((1 << 20) + 333)
  const source = join(home, name)
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(source, path, '..'), { recursive: true })
    await writeFile(join(source, path), bytes)
  }
  return { source, files }
}

async function stack() {
  const home = await temporaryFolder('assets-put-threads')
  homes.push(home)
  const storage = createLocalStorage({ path: join(home, 'storage') })
  const manager = new BaseAssetManager({ storage, registry: createSqliteRegistry({ path: join(home, 'registry.db') }) }, { user: 'alice' })
  const inStore = (location: string) => join(home, 'storage', ...location.split('/'))
  const manifestOf = async (location: string) => JSON.parse(await readFile(inStore(location), 'utf8')) as { files: Array<{ path: string; size: number; digest: ContentDigest }> }
  return { home, manager, inStore, manifestOf }
}

/** Every file under `folder`, as paths relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(folder.length + 1))
}

describe('a folder put of many small files on threads', () => {
  it('stores one private blob per distinct content, names each file in the manifest, and leaves no temporary file', async () => {
    const s = await stack()
    const { source, files } = await folderOfMany(s.home, 'cells.zarr')
    const put = await s.manager.put('many/folder', source)
    const manifest = await s.manifestOf(put.location)
    expect(manifest.files.map((f) => f.path).sort()).toEqual(Object.keys(files).sort())
    const blobs = new Set<string>()
    for (const entry of manifest.files) {
      const bytes = files[entry.path] as Buffer
      expect(entry.size, entry.path).toBe(bytes.length)
      const file = s.inStore(blobLocation(entry.digest))
      expect((await readFile(file)).equals(bytes), entry.path).toBe(true)
      // As the storage's own uploads: owner-only in a store that is not shared.
      expect((await stat(file)).mode & 0o777, entry.path).toBe(0o600)
      blobs.add(blobLocation(entry.digest))
    }
    // The shared contents are stored once each.
    expect(blobs.size).toBe(new Set(Object.values(files).map((b) => b.toString('base64'))).size)
    const stored = await filesUnder(join(s.home, 'storage'))
    expect(stored.filter((p) => p.includes('.tmp-') || p.startsWith('staging'))).toEqual([])
    expect((await s.manager.verify('many/folder')).problems).toEqual([])
    await s.manager.close()
  })

  it('gives the same version digest as a put one file at a time would, and a second put of the same folder writes nothing new', async () => {
    const s = await stack()
    const { source } = await folderOfMany(s.home, 'cells.zarr')
    const first = await s.manager.put('many/folder', source)
    const before = (await filesUnder(join(s.home, 'storage', 'blobs'))).sort()
    const mtimes = await Promise.all(before.map(async (p) => (await stat(join(s.home, 'storage', 'blobs', p))).mtimeMs))
    const again = await s.manager.put('many/copy', source)
    expect(again.digest).toBe(first.digest)
    const after = await filesUnder(join(s.home, 'storage', 'blobs'))
    expect(after.sort()).toEqual(before)
    // Not rewritten: each blob's mtime is as the first put left it.
    expect(await Promise.all(before.map(async (p) => (await stat(join(s.home, 'storage', 'blobs', p))).mtimeMs))).toEqual(mtimes)

    // The same folder through a storage without direct writes (the path for fewer files or other backends).
    const other = await temporaryFolder('assets-put-unthreaded')
    homes.push(other)
    const local = createLocalStorage({ path: join(other, 'storage') })
    const plain = new Proxy(local, {
      get(target, property) {
        if (property === 'prepareLocalWrites') return undefined
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const unthreaded = new BaseAssetManager({ storage: plain, registry: createSqliteRegistry({ path: join(other, 'registry.db') }) }, { user: 'alice' })
    expect((await unthreaded.put('many/folder', source)).digest).toBe(first.digest)
    await unthreaded.close()
    await s.manager.close()
  })

  it('refuses a folder holding a FIFO among its files, registers nothing and leaves no temporary file', async () => {
    const s = await stack()
    const { source } = await folderOfMany(s.home, 'cells.zarr')
    await rm(join(source, 'part3/f3.bin'))
    execFileSync('mkfifo', [join(source, 'part3/f3.bin')])
    const error = await s.manager.put('many/folder', source).catch((e: Error & { code?: string }) => e)
    expect((error as { code?: string }).code).toBe('INVALID_INPUT')
    expect(await s.manager.registry.listVersions('many/folder', { includeDeleted: true })).toEqual([])
    const stored = await filesUnder(join(s.home, 'storage')).catch(() => [])
    expect(stored.filter((p) => p.includes('.tmp-'))).toEqual([])
    await s.manager.close()
  })
})
