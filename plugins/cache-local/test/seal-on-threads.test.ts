import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { fileListPath, sealData } from '../src/entry-record.js'
import { createLocalCache } from '../src/index.js'
import { sealOnThreads, THREADED_SEAL_MIN_FILES } from '../src/seal-on-threads.js'

let sandbox = ''
afterEach(async () => {
  if (sandbox !== '') await rm(sandbox, { recursive: true, force: true })
  sandbox = ''
})

/** A folder of `count` files in ten subfolders under `base`, file i holding i + 1 bytes; `linked` of them also named outside it. */
async function folderOf(count: number, linked = 0, base = sandbox): Promise<{ folder: string; paths: string[] }> {
  const folder = join(base, `folder-${count}`)
  const paths: string[] = []
  for (let d = 0; d < 10; d++) await mkdir(join(folder, `d${d}`), { recursive: true })
  for (let i = 0; i < count; i++) {
    const path = `d${i % 10}/f${String(i).padStart(4, '0')}`
    paths.push(path)
    await writeFile(join(folder, path), Buffer.alloc(i + 1, i % 251))
    // 0644 whatever the umask: a linked file keeps these read bits when sealed.
    await chmod(join(folder, path), 0o644)
    if (i < linked) await link(join(folder, path), join(base, `outside-${i}`))
  }
  return { folder, paths }
}

describe('sealing a folder of many files on threads', () => {
  it('seals each file and records what a stat of it says, as the event loop does for a small folder', async () => {
    sandbox = await temporaryFolder('cache-local-seal')
    const count = THREADED_SEAL_MIN_FILES + 88
    // Three files with another name (a storage blob linked in), readable by others there.
    const { folder, paths } = await folderOf(count, 3)
    const sealed = await sealData(folder, 'folder', 0o400)
    expect(sealed.fileCount).toBe(count)
    expect(sealed.size).toBe((count * (count + 1)) / 2)
    // The whole list is beside the data (the record keeps a sample): every file, in order.
    const listed = JSON.parse(await readFile(fileListPath(folder), 'utf8')) as Array<{ path: string; size: number; mtimeMs: number; ino: number }>
    expect(listed.map((file) => file.path)).toEqual([...paths].sort())
    for (const file of listed) {
      const info = await stat(join(folder, file.path))
      expect({ size: file.size, mtimeMs: file.mtimeMs, ino: file.ino }).toEqual({ size: info.size, mtimeMs: info.mtimeMs, ino: info.ino })
      // A linked file keeps the read bits it had; no file keeps a write bit.
      expect(info.mode & 0o777).toBe(info.nlink > 1 ? 0o444 : 0o400)
    }
    // The same rules on the event loop, below the threshold.
    const small = await folderOf(5, 1, join(sandbox, 'small'))
    const few = await sealData(small.folder, 'folder', 0o400)
    expect(few.files?.map((file) => file.path)).toEqual([...small.paths].sort())
    expect((await stat(join(small.folder, small.paths[0] as string))).mode & 0o777).toBe(0o444)
    expect((await stat(join(small.folder, small.paths[1] as string))).mode & 0o777).toBe(0o400)
  })

  it('a file gone before it is sealed fails the seal with its errno and name', async () => {
    sandbox = await temporaryFolder('cache-local-seal')
    const { folder, paths } = await folderOf(THREADED_SEAL_MIN_FILES)
    await rm(join(folder, paths[300] as string))
    const failure = await sealOnThreads(folder, paths, 0o400).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(Error)
    expect((failure as NodeJS.ErrnoException).code).toBe('ENOENT')
    expect((failure as Error).message).toContain(`(sealing ${paths[300]})`)
  })

  it('a cache entry of many files is sealed and found intact; a write through it (root ignores the mode) is found by verify', async () => {
    sandbox = await temporaryFolder('cache-local-seal')
    const cache = createLocalCache({ path: join(sandbox, 'cache') })
    const { folder, paths } = await folderOf(THREADED_SEAL_MIN_FILES + 1)
    const entry = await cache.set('many', folder)
    expect((await stat(join(entry, paths[7] as string))).mode & 0o777).toBe(0o400)
    expect(await cache.get('many')).toBe(entry)
    // Root writes through the read-only mode: the cache's verify, which checks every file, sees it.
    await writeFile(join(entry, paths[7] as string), 'changed').catch(() => undefined)
    const written = (await stat(join(entry, paths[7] as string))).size === 'changed'.length
    expect(await cache.verify()).toEqual({ checked: 1, removed: written ? ['many'] : [] })
    await cache.close()
  })
})
