import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { createLocalStorage } from '../src/index.js'

const roots: string[] = []
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
})

async function storeOne(bytes: Uint8Array) {
  const root = await temporaryFolder('storage-local-link')
  roots.push(root)
  const storage = createLocalStorage({ path: join(root, 'store') })
  await storage.upload('blobs/x', (async function* () { yield bytes })())
  return { root, storage, object: join(root, 'store', 'blobs', 'x') }
}


describe('linkTo', () => {
  it('on one filesystem, without reflinks, a hard link makes the object itself read-only: one inode, no write bits', async () => {
    const bytes = randomBytes(10_000)
    const { root, storage, object } = await storeOne(bytes)
    const destination = join(root, 'cache', 'entry.bin')
    await mkdir(join(root, 'cache'))
    const how = await storage.linkTo('blobs/x', destination, { hardlink: true })
    expect(['reflink', 'hardlink']).toContain(how)
    const [linked, stored] = await Promise.all([stat(destination), stat(object)])
    if (how === 'hardlink') {
      expect(linked.ino).toBe(stored.ino)
      expect(stored.mode & 0o777).toBe(0o400)
    } else {
      expect(linked.ino).not.toBe(stored.ino)
    }
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    // The store still reads, replaces and deletes its read-only object.
    await storage.upload('blobs/x', (async function* () { yield Buffer.from('replaced') })())
    expect(await readFile(object, 'utf8')).toBe('replaced')
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    await storage.delete('blobs/x')
    expect(existsSync(object)).toBe(false)
    expect((await readFile(destination)).equals(bytes)).toBe(true)
  })

  it('answers null for a destination on another filesystem, leaving the object as it was', async () => {
    const { root, storage, object } = await storeOne(randomBytes(1000))
    // Linux's shared-memory tmpfs: another filesystem than the temporary folder's disk.
    expect((await stat('/dev/shm')).dev).not.toBe((await stat(root)).dev)
    const away = await mkdtemp('/dev/shm/storage-local-link-')
    roots.push(away)
    expect(await storage.linkTo('blobs/x', join(away, 'entry.bin'), { hardlink: true })).toBeNull()
    expect(existsSync(join(away, 'entry.bin'))).toBe(false)
    expect((await stat(object)).mode & 0o777).toBe(0o600)
  })

  it('never follows a link planted where an object should be: null, and its target keeps its mode', async () => {
    const { root, storage, object } = await storeOne(randomBytes(1000))
    const target = join(root, 'someone-elses.txt')
    await writeFile(target, 'not an object', { mode: 0o644 })
    await rm(object)
    await symlink(target, object)
    expect(await storage.linkTo('blobs/x', join(root, 'entry.bin'), { hardlink: true })).toBeNull()
    expect((await stat(target)).mode & 0o777).toBe(0o644)
    expect(existsSync(join(root, 'entry.bin'))).toBe(false)
  })

  it("never hard-links another user's object (its mode is not ours to change; run as root, which may give it away)", async () => {
    const { root, storage, object } = await storeOne(randomBytes(1000))
    await chown(object, 65534, 65534)
    const how = await storage.linkTo('blobs/x', join(root, 'entry.bin'), { hardlink: true })
    expect(how === null || how === 'reflink').toBe(true)
    expect((await stat(object)).mode & 0o777).toBe(0o600)
  })
})
