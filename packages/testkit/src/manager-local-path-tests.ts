import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { expect } from 'vitest'
import { collect, type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

/**
 * The local paths a caller hands the manager (a folder to put, an `out` to get into) are
 * treated as hostile: a folder never carries what a link out of it points to, and `out`
 * replaces nothing but a regular file.
 */
export function localPathTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}a folder with links out of it is refused and stores nothing, unless followLinks`, () =>
    withSession(ctx, async (s) => {
      const secret = await s.file('root:x:0:0', 'outside/passwd')
      const folder = await s.folder({ 'a.txt': 'a', 'sub/b.txt': 'b' })
      await symlink(secret, join(folder, 'pw'))
      await symlink('..', join(folder, 'up-and-out'))
      await symlink('a.txt', join(folder, 'same-as-a'))
      const refused = await rejection(s.manager.put(s.key(), folder))
      expect(refused.code).toBe('INVALID_INPUT')
      expect(refused.message).toContain(`pw -> ${JSON.stringify(secret)}`)
      expect(refused.message).toContain('up-and-out -> ".."')
      expect(refused.message).not.toContain('same-as-a')
      expect((await rejection(s.manager.getMetadata(s.key()))).code).toBe('ASSET_NOT_FOUND')
      // A link cycle is refused even when links are followed.
      expect((await rejection(s.manager.put(s.key(), folder, {}, { followLinks: true }))).message).toMatch(/cycle\): up-and-out\//)
      await symlink(dirname(secret), join(folder, 'sub', 'outside'))
      await rm(join(folder, 'up-and-out'))
      const put = await s.manager.put(s.key(), folder, {}, { followLinks: true })
      expect(put.fileCount).toBe(5)
      const dir = await s.manager.get(s.key())
      expect(await readFile(join(dir, 'pw'), 'utf8')).toBe('root:x:0:0')
      expect(await readFile(join(dir, 'sub', 'outside', 'passwd'), 'utf8')).toBe('root:x:0:0')
      expect(await readFile(join(dir, 'same-as-a'), 'utf8')).toBe('a')
      expect((await lstat(join(dir, 'pw'))).isFile()).toBe(true)
    }))

  it(`${prefix}a FIFO in a folder is named, not skipped`, () =>
    withSession(ctx, async (s) => {
      const folder = await s.folder({ 'a.txt': 'a' })
      execFileSync('mkfifo', [join(folder, 'pipe')])
      const refused = await rejection(s.manager.put(s.key(), folder))
      expect(refused.code).toBe('INVALID_INPUT')
      expect(refused.message).toContain('pipe (a FIFO)')
    }))

  it(`${prefix}get with out replaces only a regular file: a FIFO, a link or a file under a folder asset is refused and left as it was`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(5_000)
      await s.manager.put(s.key('file'), await s.file(bytes))
      await s.manager.put(s.key('folder'), await s.folder({ 'x.bin': bytes }))
      const place = dirname(await s.file('mine', 'out/target.txt'))
      const fifo = join(place, 'fifo')
      execFileSync('mkfifo', [fifo])
      const fifoRefused = await rejection(s.manager.get(s.key('file'), 'latest', { out: fifo }))
      expect(fifoRefused.code).toBe('INVALID_INPUT')
      expect(fifoRefused.message).toContain('a FIFO')
      expect((await lstat(fifo)).isFIFO()).toBe(true)
      const link = join(place, 'link')
      await symlink(join(place, 'target.txt'), link)
      expect((await rejection(s.manager.get(s.key('file'), 'latest', { out: link }))).code).toBe('INVALID_INPUT')
      expect(await readlink(link)).toBe(join(place, 'target.txt'))
      expect(await readFile(join(place, 'target.txt'), 'utf8')).toBe('mine')
      // A folder asset over an existing file: refused up front, nothing half-written beside it.
      const overFile = await rejection(s.manager.get(s.key('folder'), 'latest', { out: join(place, 'target.txt') }))
      expect(overFile.code).toBe('INVALID_INPUT')
      expect(await readFile(join(place, 'target.txt'), 'utf8')).toBe('mine')
      expect((await readdir(place)).sort()).toEqual(['fifo', 'link', 'target.txt'])
      // A link to a folder is a folder to go into, as with cp.
      await mkdir(join(place, 'real'))
      await symlink(join(place, 'real'), join(place, 'into'))
      const copied = await s.manager.get(s.key('folder'), 'latest', { out: join(place, 'into') })
      expect(await readFile(join(copied, 'x.bin'))).toEqual(bytes)
      expect(await readdir(join(place, 'real'))).toHaveLength(1)
    }))

  it(`${prefix}stream refuses a path inside a file asset instead of ignoring it`, () =>
    withSession(ctx, async (s) => {
      await s.manager.put(s.key(), await s.file('plain bytes'))
      const refused = await rejection(s.manager.stream(s.key(), 'latest', { path: 'inner.txt' }))
      expect(refused.code).toBe('INVALID_INPUT')
      expect(refused.message).toMatch(/is a file/)
      expect((await collect(await s.manager.stream(s.key()))).toString()).toBe('plain bytes')
    }))
}
