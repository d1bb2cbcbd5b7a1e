import { randomUUID } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, rmdir, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AssetRecord } from '../asset-record.js'
import { isContentDigest } from '../digest.js'
import { IntegrityError } from '../errors/index.js'
import { fileNameOf } from '../file-name.js'
import type { ManagerParts } from './manager-parts.js'

/**
 * `get` hands content back under its file name without copying a byte: a symbolic link
 * `<namedDir>/<aa>/<entry>/<file name>` to the cache entry, where `<entry>` names the content
 * (`sha256-…`, `folder-sha256-…`). Different bytes never share a folder, so two versions of one
 * asset, or two assets whose files have the same name, never collide; the same bytes under the
 * same name share one link. The link is checked with one readlink and re-pointed atomically
 * (a new link renamed over it) when the entry moved, e.g. after a prune and a new download.
 */
export async function namedLink(namedDir: string, record: Pick<AssetRecord, 'key' | 'fileName' | 'digest'>, entryKey: string, entry: string): Promise<string> {
  // The digest becomes part of a path: a row written around the registry's checks must not climb out.
  if (!isContentDigest(record.digest)) throw new IntegrityError(`${record.key}: the registry holds an invalid digest ${JSON.stringify(record.digest)}`)
  const folder = join(namedDir, record.digest.slice(7, 9), entryKey.replaceAll(':', '-'))
  const link = join(folder, fileNameOf(record))
  if ((await readlink(link).catch(() => null)) === entry) return link
  // A sweep may remove the (empty) folder between our mkdir and symlink: make it again, once.
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(folder, { recursive: true })
      const fresh = join(folder, `.link-${randomUUID()}`)
      await symlink(entry, fresh)
      await replace(fresh, link)
      return link
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw error
    }
  }
}

/** Renames `fresh` over `link`; something that is not a link (a folder cannot be renamed over) is ours to replace. */
async function replace(fresh: string, link: string): Promise<void> {
  try {
    await rename(fresh, link)
  } catch (error) {
    await rm(link, { recursive: true, force: true })
    await rename(fresh, link).catch(async () => {
      await rm(fresh, { force: true })
      throw error
    })
  }
}

/**
 * Removes links whose cache entry is gone (pruned, cleared), leftovers of a link being made
 * when its process died, and the folders this empties; returns how many links went. A get that
 * re-points a link in the moment between its check and its removal loses it — as it loses an
 * entry that a prune removes — and the next get makes it again.
 */
export async function sweepNamedLinks(namedDir: string): Promise<number> {
  let removed = 0
  const stale = Date.now() - 60_000
  for (const shard of await readdir(namedDir).catch(() => [])) {
    for (const entry of await readdir(join(namedDir, shard)).catch(() => [])) {
      const folder = join(namedDir, shard, entry)
      for (const name of await readdir(folder).catch(() => [])) {
        const link = join(folder, name)
        const info = await lstat(link).catch(() => null)
        if (!info?.isSymbolicLink()) continue
        const leftover = name.startsWith('.link-') && info.mtimeMs < stale
        if (!leftover && (await stat(link).catch(() => null)) !== null) continue
        await rm(link, { force: true })
        if (!leftover) removed++
      }
      await rmdir(folder).catch(() => {}) // only when empty
    }
    await rmdir(join(namedDir, shard)).catch(() => {})
  }
  return removed
}

// A stack with neither namedDir nor scratchDir gets a private folder of its own (mkdtemp: unique,
// mode 0700), never a predictable one under the shared temporary folder, where another user could
// plant links.
// Keyed by the storage, which every actor's view of one stack shares.
const privateDirs = new WeakMap<object, Promise<string>>()

/** The folder of named links: namedDir, else `named` under scratchDir, else a private one. */
export function namedDirOf(parts: ManagerParts): Promise<string> {
  if (parts.namedDir !== undefined) return Promise.resolve(parts.namedDir)
  if (parts.scratchDir !== undefined) return Promise.resolve(join(parts.scratchDir, 'named'))
  let dir = privateDirs.get(parts.storage)
  if (dir === undefined) {
    dir = mkdtemp(join(tmpdir(), 'assets-named-'))
    dir.catch(() => privateDirs.delete(parts.storage))
    privateDirs.set(parts.storage, dir)
  }
  return dir
}
