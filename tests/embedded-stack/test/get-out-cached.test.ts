import { randomBytes } from 'node:crypto'
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { createLocalCache, type LocalCache } from '@assets/cache-local'
import { BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const homes: string[] = []
afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

/** Every file under `folder`, by its path under it. */
async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(folder, join(e.parentPath, e.name)))
    .sort()
}

describe('get --out of a folder already in the cache', () => {
  it('copies its many small files (on threads) and its large one byte for byte, writable, and the copy is not the cache entry', async () => {
    const home = await temporaryFolder('assets-out-cached')
    homes.push(home)
    const cache = createLocalCache({ path: join(home, 'cache') }) as LocalCache
    const manager = new BaseAssetManager(
      { storage: createLocalStorage({ path: join(home, 'storage') }), registry: createSqliteRegistry({ path: join(home, 'registry.db') }), cache },
      { user: 'alice' },
    )
    // Enough small files for the threaded copy (threaded-copy-out.ts), in nested folders, and one
    // larger than the threads take, which they leave to the copy on the main thread.
    const files: Record<string, Buffer> = {}
    for (let i = 0; i < 640; i++) files[`d${i % 5}/s${i % 2}/f${i}.bin`] = randomBytes(512 + ((i * 37) % 3072))
    files['big/weights.bin'] = randomBytes((1 << 20) + 4096)
    files['empty.txt'] = Buffer.alloc(0)
    const source = join(home, 'cells.zarr')
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(join(source, path, '..'), { recursive: true })
      await writeFile(join(source, path), bytes)
    }
    const put = await manager.put('out/cached', source)
    const entry = await manager.get('out/cached')
    expect(await cache.has(`folder:${put.digest}`)).toBe(true)

    const out = join(home, 'copies', 'mine')
    expect(await manager.get('out/cached', 'latest', { out })).toBe(out)
    expect(await listFiles(out)).toEqual(Object.keys(files).sort())
    for (const [path, bytes] of Object.entries(files)) {
      expect((await readFile(join(out, path))).equals(bytes), path).toBe(true)
      expect((await stat(join(out, path))).mode & 0o200, path).toBe(0o200)
    }
    // The copy is the caller's: its files and folders can be written, and doing so leaves the entry as it was.
    await writeFile(join(out, 'd1/s1/f1.bin'), 'mine now')
    await appendFile(join(out, 'd2/s0/f2.bin'), 'more')
    await writeFile(join(out, 'big/weights.bin'), 'smaller')
    await writeFile(join(out, 'd3/new.txt'), 'added')
    for (const path of ['d1/s1/f1.bin', 'd2/s0/f2.bin', 'big/weights.bin']) {
      expect((await readFile(join(entry, path))).equals(files[path] as Buffer), path).toBe(true)
    }
    const again = await manager.get('out/cached')
    expect((await readFile(join(again, 'd1/s1/f1.bin'))).equals(files['d1/s1/f1.bin'] as Buffer)).toBe(true)
    const second = await manager.get('out/cached', 'latest', { out: join(home, 'copies', 'second') })
    expect(await listFiles(second)).toEqual(Object.keys(files).sort())
    for (const path of ['d1/s1/f1.bin', 'd2/s0/f2.bin', 'big/weights.bin']) {
      expect((await readFile(join(second, path))).equals(files[path] as Buffer), path).toBe(true)
    }
    await manager.close()
  })
})
