import { lstat, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { removeIfStale } from './entry-lock.js'
import { fileListPath, RECORD_NAME } from './entry-record.js'
import type { ScannedEntry } from './entry-scan.js'
import { namesIn } from './file-system.js'

// Long enough that no set() still in progress (a copy across filesystems included) is mistaken
// for the debris of a crashed one.
const ORPHAN_AGE_MS = 60 * 60 * 1000
/** A partial download left in staging this long is abandoned, not paused. */
export const STAGING_AGE_MS = 24 * 60 * 60 * 1000

/**
 * Removes what crashed set() calls left in an entry folder: data generations no record points
 * to, temporary records, or a whole folder that never got a record.
 */
export async function sweepEntryFolder(entry: ScannedEntry, now = Date.now()): Promise<void> {
  if (entry.record === null) {
    if (now - entry.lastAccessMs > ORPHAN_AGE_MS) await rm(entry.folder, { recursive: true, force: true })
    return
  }
  for (const name of await namesIn(entry.folder)) {
    if (name === RECORD_NAME || name === entry.record.data || name === basename(fileListPath(entry.record.data))) continue
    const path = join(entry.folder, name)
    // ctime, not mtime: a rename keeps a file's mtime (its download time) but sets its ctime.
    const info = await lstat(path).catch(() => null)
    if (info !== null && now - info.ctimeMs > ORPHAN_AGE_MS) await rm(path, { recursive: true, force: true })
  }
}

export async function sweepStaging(staging: string, now = Date.now()): Promise<void> {
  for (const name of await namesIn(staging)) {
    const path = join(staging, name)
    const info = await lstat(path).catch(() => null)
    if (info !== null && now - info.mtimeMs > STAGING_AGE_MS) await rm(path, { recursive: true, force: true })
  }
}

/** Removes lock files whose holders are gone, so the folder does not fill with them. */
export async function sweepLocks(locks: string, staleLockMs: number): Promise<void> {
  for (const name of await namesIn(locks)) {
    if (name.endsWith('.lock')) await removeIfStale(join(locks, name), staleLockMs).catch(() => false)
  }
}
