import { constants } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Cache } from '../contracts/cache.js'
import type { LinkKind, LinkOptions, Storage } from '../contracts/storage.js'
import { assertDigest, blobLocation, type ContentDigest, hashFile } from '../digest.js'
import { IntegrityError, NotFoundError } from '../errors/index.js'
import type { ManagerParts } from './manager-parts.js'

/**
 * One copy of the bytes on the embedded default: where storage and cache share a filesystem,
 * a cache entry is a reflink of the stored blob (a copy-on-write clone) or, when the cache
 * accepts one, a hard link to it, instead of a second copy. Why hard links only where the
 * cache says so: they share the inode with the stored blob, so only its read-only mode stands
 * between a write through the path `get` returned and the stored bytes, and root ignores
 * modes. A change that gets through anyway is caught: the cache reports the entry as a miss
 * (its mtime moved), and re-linking it fails the digest check (IntegrityError) rather than
 * handing back other bytes; `verify` reports the blob. Only content-addressed blobs are
 * linked: a reference (an object the storage did not write) is never made read-only for us.
 */

/** The link options for filling `cache`: reflinks always, hard links where the cache accepts them. */
export function linkOptionsFor(cache: Cache): LinkOptions {
  return { hardlink: cache.acceptsHardlinks === true }
}

/**
 * Fills `destination` by linking the blob, then verifies it as a download would be verified
 * (the digest of what is there now, read once, no write); answers how it was linked. Null
 * when the storage cannot link it here: the caller downloads. IntegrityError when the stored
 * bytes are wrong. With `ownCopy` (only with reflinks: a clone's writes stay on its side) the
 * file is made writable by its owner, as a copy would be, whatever the blob's read-only mode.
 */
export async function linkVerified(
  storage: Storage,
  location: string,
  expected: { digest: ContentDigest; size: number },
  destination: string,
  link: LinkOptions,
  options: { signal?: AbortSignal; ownCopy?: boolean } = {},
): Promise<LinkKind | null> {
  const { signal } = options
  if (!storage.linkTo || location !== blobLocation(expected.digest)) return null
  await mkdir(dirname(destination), { recursive: true })
  // The caller's own copy is never the blob's own inode: only a clone is writable apart from it.
  const how = await storage.linkTo(location, destination, options.ownCopy ? { hardlink: false } : link).catch((error: unknown) => {
    if (NotFoundError.isInstance(error)) throw new IntegrityError(`${location} is registered but missing from storage`, { cause: error })
    throw error
  })
  if (how === null) return null
  try {
    assertDigest(`${location} (linked from storage)`, await hashFile(destination, { signal }), expected)
    if (options.ownCopy) await makeOwnerWritable(destination)
  } catch (error) {
    await rm(destination, { force: true })
    throw error
  }
  return how
}

/**
 * Gives the user's own copy the permission bits of a plain copy: the blob's rwx bits plus the
 * owner's write bit, never its setuid, setgid or sticky bits (a reflink clone takes the
 * blob's whole mode, and a co-user of a shared store may have set them on a blob). Through a
 * descriptor opened without following a link (one swapped in is refused, not changed).
 */
async function makeOwnerWritable(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const { mode } = await handle.stat()
    const wanted = (mode & 0o777) | 0o200
    if ((mode & 0o7777) !== wanted) await handle.chmod(wanted)
  } finally {
    await handle.close()
  }
}

/**
 * After a put that wrote the blob itself (so its bytes are the ones just hashed): leaves it in
 * the cache when that costs no copy, so that the first `get` is a cache hit. Best effort: the
 * put has succeeded whatever happens here.
 */
export async function cacheStoredFile(parts: ManagerParts, content: { digest: ContentDigest; size: number; location: string }, signal?: AbortSignal): Promise<void> {
  const { cache, storage } = parts
  if (!cache || !storage.linkTo || content.location !== blobLocation(content.digest)) return
  try {
    if (await cache.has(content.digest)) return
    const lock = await cache.lock(content.digest, { signal })
    try {
      if (await cache.has(content.digest)) return
      const staging = cache.stagingPath(content.digest)
      await mkdir(dirname(staging), { recursive: true })
      if ((await storage.linkTo(content.location, staging, linkOptionsFor(cache))) === null) return
      // The blob was renamed into place by this put; a size that differs means someone replaced it since.
      if ((await stat(staging)).size !== content.size) {
        await rm(staging, { force: true })
        return
      }
      await cache.set(content.digest, staging)
    } finally {
      await lock.release()
    }
  } catch (error) {
    parts.logger?.warn(`the stored content was not left in the cache (the first get will fill it): ${(error as Error).message}`)
  }
}
