import { type ContentDigest, folderDigest, hashFile, IntegrityError, InvalidInputError, isContentDigest } from '@assets/core'

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
 * is stored, so that a mismatch stores nothing. `followLinks` as given to the put.
 */
export async function computeDigest(
  path: string,
  type: 'file' | 'folder',
  signal?: AbortSignal,
  options: { followLinks?: boolean } = {},
): Promise<ContentDigest> {
  return type === 'file' ? (await hashFile(path, { signal })).digest : folderDigest(path, { signal, followLinks: options.followLinks })
}

export async function verifyChecksum(
  path: string,
  type: 'file' | 'folder',
  declared: ContentDigest,
  signal?: AbortSignal,
  options: { followLinks?: boolean } = {},
): Promise<void> {
  const actual = await computeDigest(path, type, signal, options)
  if (actual !== declared) throw new IntegrityError(`dataset ${path}: declared checksum ${declared} does not match the content (${actual}); nothing was stored`)
}
