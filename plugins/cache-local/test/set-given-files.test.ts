import { chmod, link, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CacheFileIdentity } from '@assets/core'
import { rejection, temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { FULL_CHECK_FILES, fileListPath } from '../src/entry-record.js'
import { createLocalCache } from '../src/index.js'
import { THREADED_SEAL_MIN_FILES } from '../src/seal-on-threads.js'

let sandbox = ''
afterEach(async () => {
  if (sandbox !== '') await rm(sandbox, { recursive: true, force: true })
  sandbox = ''
})

/**
 * A folder of `count` files as a filler leaves it (core's fetchFolder with `sealMode`): files
 * 0o400 already but every fifth, left 0o644 (made outside the filler's sealing), and the first
 * also named outside the folder (a storage blob linked in); with each one's identity.
 */
async function filledFolder(count: number): Promise<{ folder: string; files: CacheFileIdentity[] }> {
  const folder = join(sandbox, `filled-${count}`)
  const files: CacheFileIdentity[] = []
  for (let i = 0; i < count; i++) {
    const path = `d${i % 4}/f${i}`
    await mkdir(join(folder, `d${i % 4}`), { recursive: true })
    await writeFile(join(folder, path), Buffer.alloc(i + 1, i % 251))
    await chmod(join(folder, path), i % 5 === 0 ? 0o644 : 0o400)
    if (i === 0) await link(join(folder, path), join(sandbox, 'outside'))
    const info = await stat(join(folder, path))
    files.push({ path, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, mode: info.mode & 0o7777, nlink: info.nlink })
  }
  return { folder, files }
}

describe('set() with the files its caller sealed (CacheSetOptions.files)', () => {
  it.each([20, THREADED_SEAL_MIN_FILES + 3])('records them as given and changes only the modes not sealed (%i files)', async (count) => {
    sandbox = await temporaryFolder('cache-local-given')
    const cache = createLocalCache({ path: join(sandbox, 'cache') })
    expect(cache.sealedFileMode).toBe(0o400)
    const { folder, files } = await filledFolder(count)
    const ctimes = await Promise.all(files.map(async (file) => (await stat(join(folder, file.path))).ctimeMs))
    // chmod moves a file's ctime even to the mode it has: one that kept its ctime was not touched.
    await new Promise((resolve) => setTimeout(resolve, 20))
    const entry = await cache.set('given', folder, { files })
    for (const [i, file] of files.entries()) {
      const info = await stat(join(entry, file.path))
      // The linked one keeps its read bits; none keeps a write bit.
      expect(info.mode & 0o7777, file.path).toBe(i === 0 ? 0o444 : 0o400)
      expect(info.ctimeMs === ctimes[i], file.path).toBe(i % 5 !== 0)
    }
    const listed = count > FULL_CHECK_FILES ? (JSON.parse(await readFile(fileListPath(entry), 'utf8')) as unknown[]) : undefined
    if (listed) expect(listed).toEqual(files.map(({ path, size, mtimeMs, ino }) => ({ path, size, mtimeMs, ino })))
    expect(await cache.get('given')).toBe(entry)
    expect(await cache.verify()).toEqual({ checked: 1, removed: [] })
    expect((await cache.stats()).bytes).toBe((count * (count + 1)) / 2)
    await cache.close()
  })

  it('changes many modes that differ on threads (a shared cache over blobs linked in 0400)', async () => {
    sandbox = await temporaryFolder('cache-local-given')
    const cache = createLocalCache({ path: join(sandbox, 'cache'), shared: true })
    const { folder, files } = await filledFolder(THREADED_SEAL_MIN_FILES + 10)
    // Every file other than the first (linked, 0644) is 0400: none is in the shared mode, 0444.
    const entry = await cache.set('given', folder, { files })
    for (const file of files) expect((await stat(join(entry, file.path))).mode & 0o7777, file.path).toBe(0o444)
    expect(await cache.verify()).toEqual({ checked: 1, removed: [] })
    await cache.close()
  })

  // Out of the folder, in its sealed mode already (nothing to change) or not; or a link in it.
  it.each([
    // From the entry's data folder (cache/entries/<shard>/<name>/<generation>) to the sandbox.
    { path: '../../../../../victim', mode: 0o400, shown: '0400' },
    { path: '../../../../../victim', mode: 0o644, shown: '0644' },
    { path: 'd1/planted', mode: 0o644, shown: '0644' },
    // The victim's absolute path; and names core's manifest rule refuses (a backslash, a control character).
    { path: '<sandbox>/victim', mode: 0o644, shown: '0644' },
    { path: 'd1\\f1', mode: 0o644, shown: '0644' },
    { path: 'd1/f1\n', mode: 0o644, shown: '0644' },
  ])('refuses a given file $path (mode $shown) that is not one of the folder, touches nothing, and gives the folder back', async ({ path: given, mode }) => {
    sandbox = await temporaryFolder('cache-local-given')
    const cache = createLocalCache({ path: join(sandbox, 'cache') })
    const { folder, files } = await filledFolder(6)
    const victim = join(sandbox, 'victim')
    const path = given.replace('<sandbox>', sandbox)
    await writeFile(victim, 'not the cache entry')
    await chmod(victim, 0o644)
    await symlink(victim, join(folder, 'd1/planted'))
    const hostile = [...files, { ...(files[1] as CacheFileIdentity), path, mode, nlink: 1 }]
    const error = await rejection(cache.set('given', folder, { files: hostile }))
    expect(error.code).toBe('INVALID_INPUT')
    expect((await stat(victim)).mode & 0o777).toBe(0o644)
    expect(await cache.has('given')).toBe(false)
    expect((await stat(join(folder, 'd1/f1'))).isFile()).toBe(true)
    await cache.close()
  })
})
