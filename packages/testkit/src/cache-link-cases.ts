import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { expect } from 'vitest'
import type { CacheTest } from './cache-case.js'

/**
 * A cache that says `acceptsHardlinks` is handed a local storage's file under a second name:
 * it keeps that file read-only without taking read bits from the other name, and a write
 * through the entry that the mode did not stop is a miss, never a hit on other bytes.
 */
export function cacheLinkCases(test: CacheTest): void {
  test('a hard link handed to set() stays read-only, keeps its read bits, and a write through the entry is refused or makes it a miss', async ({ cache, key }) => {
    const k = key()
    const bytes = randomBytes(8000)
    const staged = cache.stagingPath(k)
    await mkdir(dirname(staged), { recursive: true })
    // The other name stands for the storage's blob: the same filesystem, another folder entry.
    const other = `${staged}-stored`
    await writeFile(other, bytes, { mode: 0o644 })
    try {
      await link(other, staged)
      const path = await cache.set(k, staged)
      const [entry, stored] = await Promise.all([stat(path), stat(other)])
      expect(entry.ino).toBe(stored.ino)
      expect(entry.mode & 0o222).toBe(0)
      expect(stored.mode & 0o444).toBe(0o444)
      expect(await cache.get(k)).toBe(path)
      const wrote = await writeThrough(path)
      if (wrote) expect(await cache.get(k)).toBeNull()
      else expect(await cache.get(k)).toBe(path)
      await cache.delete(k)
      // Dropping the entry removes the cache's name only.
      expect((await stat(other)).ino).toBe(stored.ino)
      expect((await readFile(other)).subarray(1).equals(bytes.subarray(1))).toBe(true)
    } finally {
      await rm(other, { force: true })
    }
  })
}

/** Writes one byte in place as a careless program would, without touching the mode; false when the mode refused it. */
async function writeThrough(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r+')
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('EACCES')
    return false
  }
  try {
    await handle.write(Buffer.from([0x5a]), 0, 1, 0)
  } finally {
    await handle.close()
  }
  return true
}
