import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdtemp, open, readdir, readFile, realpath, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLocalCache, type LocalCache } from '@assets/cache-local'
import { BaseAssetManager, readOnlyModesHold } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { programPath, rejection, temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const homes: string[] = []
afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

async function stack(hardlinks?: 'always') {
  const home = await temporaryFolder('assets-one-copy')
  homes.push(home)
  const cache = createLocalCache({ path: join(home, 'cache'), hardlinks })
  const manager = new BaseAssetManager(
    {
      storage: createLocalStorage({ path: join(home, 'storage') }),
      registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
      cache,
      scratchDir: join(home, 'scratch'),
    },
    { user: 'alice' },
  )
  const file = async (bytes: Uint8Array, name = `${randomBytes(4).toString('hex')}.bin`) => {
    const { writeFile, mkdir } = await import('node:fs/promises')
    await mkdir(join(home, 'files'), { recursive: true })
    await writeFile(join(home, 'files', name), bytes)
    return join(home, 'files', name)
  }
  return { home, cache: cache as LocalCache, manager, file, blob: (location: string) => join(home, 'storage', ...location.split('/')) }
}

/** Bytes the files under `folders` take on disk, each inode counted once (as `du` does). */
async function diskBytes(...folders: string[]): Promise<number> {
  const seen = new Set<number>()
  let total = 0
  for (const folder of folders) {
    for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue
      const info = await lstat(join(entry.parentPath, entry.name))
      if (seen.has(info.ino)) continue
      seen.add(info.ino)
      total += info.blocks * 512
    }
  }
  return total
}

describe('one copy on the embedded default', () => {
  it('with hard links, a put leaves its blob in the cache: the first get is a hit on the same inode, and the bytes are on disk once', async () => {
    const s = await stack('always')
    const bytes = randomBytes(4 << 20)
    const put = await s.manager.put('one/copy', await s.file(bytes))
    const path = await s.manager.get('one/copy')
    expect((await s.cache.stats()).misses).toBe(0)
    const [entry, blob] = await Promise.all([stat(path), stat(s.blob(put.location))])
    expect(entry.ino).toBe(blob.ino)
    expect(entry.nlink).toBe(2)
    expect(entry.mode & 0o222).toBe(0)
    expect((await readFile(path)).equals(bytes)).toBe(true)
    const used = await diskBytes(join(s.home, 'storage'), join(s.home, 'cache'))
    expect(used).toBeGreaterThanOrEqual(bytes.length)
    expect(used).toBeLessThan(bytes.length * 1.05)
    expect((await s.manager.verify('one/copy')).problems).toEqual([])
    await s.manager.close()
  })

  it('by default, entries share the blob only where the read-only mode stops writes (never with CAP_DAC_OVERRIDE, which root has)', async () => {
    const s = await stack()
    const put = await s.manager.put('one/default', await s.file(randomBytes(100_000)))
    const entry = await stat(await realpath(await s.manager.get('one/default')))
    expect(entry.ino === (await stat(s.blob(put.location))).ino).toBe(readOnlyModesHold())
    expect(s.cache.acceptsHardlinks).toBe(readOnlyModesHold())
    await s.manager.close()
  })

  it("without the power to write past a mode (a regular user, or root without CAP_DAC_OVERRIDE), the default stack keeps one copy and refuses a write through the path get returned", async () => {
    // Run without the power to write past a file's mode: as root (whose writes no mode stops),
    // with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped by setpriv — still uid 0, so the
    // checkout and Node need not be readable by another user (CI's are in a 0700 folder).
    const home = await mkdtemp(join(tmpdir(), 'assets-one-copy-user-'))
    homes.push(home)
    const asRoot = process.geteuid?.() === 0
    const child = fileURLToPath(new URL('./fixtures/one-copy-child.mjs', import.meta.url))
    const drop = '-dac_override,-dac_read_search'
    const [command, args] = asRoot
      ? [programPath('setpriv'), [`--inh-caps=${drop}`, `--bounding-set=${drop}`, '--', process.execPath, child, home]]
      : [process.execPath, [child, home]]
    const run = spawnSync(command, args, { encoding: 'utf8' })
    expect(run.error).toBeUndefined()
    expect(run.stderr).toBe('')
    const result = JSON.parse(run.stdout)
    expect(result.capDacOverride).toBe(false)
    expect(result).toMatchObject({ modesHold: true, sameInode: true, mode: 0o400, write: 'EACCES', intact: true, problems: 0 })
  })

  it('a write through a file of a folder that get returned cannot change what the next get returns: refused by the mode, or found and fetched again (root)', async () => {
    const s = await stack()
    const { mkdir, writeFile } = await import('node:fs/promises')
    const source = join(s.home, 'files', 'tree')
    // More files than the cache's sample of 64, so that a file outside the sample is written.
    for (let d = 0; d < 10; d++) await mkdir(join(source, `d${d}`), { recursive: true })
    for (let i = 0; i < 200; i++) await writeFile(join(source, `d${i % 10}`, `f${String(i).padStart(3, '0')}`), `file ${i}`)
    await s.manager.put('one/tree', source)
    const path = await s.manager.get('one/tree')
    // get answers a named link to the cache entry; its record and full file list are beside the entry's data.
    const entry = await realpath(path)
    const record = JSON.parse(await readFile(join(entry, '..', 'entry.json'), 'utf8')) as { files: Array<{ path: string }>; fileCount: number }
    expect(record.fileCount).toBe(200)
    const sampled = new Set(record.files.map((file) => file.path))
    const all = JSON.parse(await readFile(`${entry}.files.json`, 'utf8')) as Array<{ path: string }>
    const target = all.find((file) => !sampled.has(file.path))?.path as string
    expect(target).toBeDefined()
    const before = await readFile(join(path, ...target.split('/')), 'utf8')
    const write = await writeFile(join(path, ...target.split('/')), 'edited').then(
      () => 'written',
      (error: NodeJS.ErrnoException) => error.code,
    )
    expect(write).toBe(readOnlyModesHold() ? 'EACCES' : 'written')
    const again = await s.manager.get('one/tree')
    expect(await readFile(join(again, ...target.split('/')), 'utf8')).toBe(before)
    await s.manager.close()
  })

  it('a cache miss is filled by a link and verified: a damaged blob is reported, never handed back', async () => {
    const s = await stack('always')
    const bytes = randomBytes(300_000)
    const put = await s.manager.put('one/miss', await s.file(bytes))
    await s.cache.clear()
    const path = await s.manager.get('one/miss')
    expect((await stat(path)).ino).toBe((await stat(s.blob(put.location))).ino)
    expect((await readFile(path)).equals(bytes)).toBe(true)
    await s.cache.clear()
    // Damage the stored bytes in place and put the mtime back: only hashing finds it.
    const blob = s.blob(put.location)
    const before = await stat(blob)
    await chmod(blob, 0o600)
    const handle = await open(blob, 'r+')
    await handle.write(Buffer.from([(bytes[0] ?? 0) ^ 0xff]), 0, 1, 0)
    await handle.close()
    await utimes(blob, before.atime, before.mtime)
    expect((await rejection(s.manager.get('one/miss'))).code).toBe('INTEGRITY_ERROR')
    expect(await s.cache.get(put.digest)).toBeNull()
    await s.manager.close()
  })

  it('gc and cache clear stay correct with links: each side keeps its own name of the bytes', async () => {
    const s = await stack('always')
    const [a, b] = [randomBytes(200_000), randomBytes(250_000)]
    const soon = new Date(Date.now() + 3600_000)
    const putA = await s.manager.put('one/temporary', await s.file(a), {}, { kind: 'output', expiresAt: soon })
    const putB = await s.manager.put('one/kept', await s.file(b))
    const pathA = await s.manager.get('one/temporary')
    await s.manager.get('one/kept')
    // gc removes A's blob from storage; the cache's name of it stays whole (content is content).
    const gc = await s.manager.as({ user: 'root', roles: ['admin'] }).gc({ now: new Date(Date.now() + 3 * 3600_000), graceSeconds: 0 })
    expect(gc.removedObjects).toContain(putA.location)
    expect(gc.removedObjects).not.toContain(putB.location)
    await expect(stat(s.blob(putA.location))).rejects.toThrow()
    expect(await s.cache.get(putA.digest)).toBe(await realpath(pathA))
    expect((await readFile(pathA)).equals(a)).toBe(true)
    expect((await stat(pathA)).nlink).toBe(1)
    expect((await s.cache.verify()).removed).toEqual([])
    // Clearing the cache leaves B's blob, which the next get links again.
    await s.cache.clear()
    expect((await stat(s.blob(putB.location))).nlink).toBe(1)
    expect((await s.manager.verify('one/kept')).problems).toEqual([])
    const again = await s.manager.get('one/kept')
    expect((await readFile(again)).equals(b)).toBe(true)
    expect((await stat(again)).ino).toBe((await stat(s.blob(putB.location))).ino)
    await s.manager.close()
  })
})
