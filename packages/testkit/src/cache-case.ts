import { chmod, mkdir, open, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { type Cache, sha256 } from '@assets/core'

/** What each cache test receives: a fresh instance, closed afterwards. */
export interface CacheCase {
  cache: Cache
  /** A key no other test uses. */
  key(): string
  /** Seconds of the ttl used by expiry tests. */
  ttlSeconds: number
}

export type CacheTest = (name: string, body: (c: CacheCase) => Promise<void>) => void

/** Writes `bytes` at the cache's staging path for `key`, as the manager does before set(). */
export async function stageFile(cache: Cache, key: string, bytes: Uint8Array | string): Promise<string> {
  const path = cache.stagingPath(key)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, bytes)
  return path
}

/** Builds a folder (a model folder, a zarr store) at the staging path for `key`. */
export async function stageFolder(cache: Cache, key: string, files: Record<string, Uint8Array | string>): Promise<string> {
  const root = cache.stagingPath(key)
  for (const [path, bytes] of Object.entries(files)) {
    const full = join(root, ...path.split('/'))
    await mkdir(dirname(full), { recursive: true })
    await writeFile(full, bytes)
  }
  return root
}

/** Every file under `root`, as `/`-separated path → sha256, for comparing folders. */
export async function folderDigests(root: string): Promise<Record<string, string>> {
  const digests: Record<string, string> = {}
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = join(entry.parentPath, entry.name)
    digests[full.slice(root.length + 1).split('\\').join('/')] = sha256(await readFile(full))
  }
  return digests
}

export function digestsOf(files: Record<string, Uint8Array | string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([path, bytes]) => [path, sha256(bytes)]))
}

/** Flips the lowest bit of the first byte, writing through the filesystem as a stray edit would. */
export async function flipFirstBit(path: string): Promise<void> {
  await makeWritable(path)
  const handle = await open(path, 'r+')
  try {
    const byte = Buffer.alloc(1)
    await handle.read(byte, 0, 1, 0)
    byte[0] = (byte[0] ?? 0) ^ 0x01
    await handle.write(byte, 0, 1, 0)
  } finally {
    await handle.close()
  }
}

/** Entries may be read-only (so that accidental edits fail); tests that damage them on purpose undo that. */
export async function makeWritable(path: string): Promise<void> {
  await chmod(path, 0o644)
}

/** Flips a bit and puts the mtime back: damage that only re-hashing finds. */
export async function flipBitSilently(path: string): Promise<void> {
  const before = await stat(path)
  await flipFirstBit(path)
  await utimes(path, before.atime, before.mtime)
}
