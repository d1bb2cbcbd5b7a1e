import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type ContentDigest, type FolderManifest, hashFile, IntegrityError, InvalidInputError, isContentDigest, sha256 } from '@assets/core'

/** Refuses anything but `sha256:<64 hex digits>` (uppercase hex is folded). */
export function parseChecksum(value: unknown): ContentDigest {
  const folded = typeof value === 'string' ? value.trim().toLowerCase() : value
  if (!isContentDigest(folded) || !/^sha256:[0-9a-f]{64}$/.test(folded)) {
    throw new InvalidInputError(`checksum must be sha256:<64 hex digits>, got ${JSON.stringify(value)}`)
  }
  return folded
}

/**
 * The digest the asset will be registered under: the file's sha256, or for a folder (a zarr
 * store) the sha256 of its manifest, computed as core computes it on put. Read before anything
 * is stored, so that a mismatch stores nothing.
 */
export async function computeDigest(path: string, type: 'file' | 'folder', signal?: AbortSignal): Promise<ContentDigest> {
  if (type === 'file') return (await hashFile(path, { signal })).digest
  const files: FolderManifest['files'] = []
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name)
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name
      const info = await stat(absolute)
      if (info.isDirectory()) await walk(absolute, rel)
      else if (info.isFile()) files.push({ path: rel, size: info.size, digest: (await hashFile(absolute, { signal })).digest })
    }
  }
  await walk(path, '')
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const manifest: FolderManifest = { manifestVersion: 1, files }
  return sha256(JSON.stringify(manifest))
}

export async function verifyChecksum(path: string, type: 'file' | 'folder', declared: ContentDigest, signal?: AbortSignal): Promise<void> {
  const actual = await computeDigest(path, type, signal)
  if (actual !== declared) throw new IntegrityError(`dataset ${path}: declared checksum ${declared} does not match the content (${actual}); nothing was stored`)
}
