import { randomBytes } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { expect } from 'vitest'
import { type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

/**
 * The path `get` returns may be a cache entry, and on a local stack the stored blob itself
 * (a hard link): a program writing through it must never change what another `get` returns.
 */
export function writeThroughTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}a write through a path get returned is refused, or detected: another get never returns the written bytes`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(64 * 1024)
      const put = await s.manager.put(s.key(), await s.file(bytes))
      const path = await s.manager.get(s.key())
      // More than one name: the entry is the stored blob's own inode.
      const shared = (await stat(path)).nlink > 1
      if (!(await writeThrough(path))) {
        expect((await readFile(await s.manager.get(s.key()))).equals(bytes)).toBe(true)
        return
      }
      if (!shared) {
        expect((await readFile(await s.manager.get(s.key()))).equals(bytes)).toBe(true)
        return
      }
      // The only copy was written (root ignores the read-only mode): reported, never handed back.
      expect((await rejection(s.manager.get(s.key()))).code).toBe('INTEGRITY_ERROR')
      const report = await s.manager.verify(s.key())
      expect(report.problems.map((p) => p.location)).toEqual([put.location])
    }))
}

/** Writes bytes in place as a careless program would, leaving the mode alone; false when the mode refused it. */
async function writeThrough(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r+')
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('EACCES')
    return false
  }
  try {
    await handle.write(Buffer.from('written through the path'), 0, 24, 100)
  } finally {
    await handle.close()
  }
  return true
}
