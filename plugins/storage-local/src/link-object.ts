import { constants, type Stats } from 'node:fs'
import { copyFile, type FileHandle, link, lstat, open, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type LinkKind, type LinkOptions, NO_HARDLINK_CODES, NO_REFLINK_CODES, NotFoundError, temporaryPathFor } from '@assets/core'
import { errnoCode, wrapFileSystemError } from './file-system-error.js'

// Where a clone or a hard link cannot be made (core's link-errors.ts, shared with its linking threads).
const NO_REFLINK = new Set(NO_REFLINK_CODES)
const NO_HARDLINK = new Set(NO_HARDLINK_CODES)

/**
 * Places the file at `path` (the object at `location`) at `destPath` without copying its bytes:
 * a reflink, else (when allowed) a hard link once the object is read-only, else nothing (null).
 * Built beside `destPath` and renamed over it, so a file there is replaced whole.
 */
export async function linkObject(path: string, location: string, destPath: string, options: LinkOptions): Promise<LinkKind | null> {
  const handle = await openObject(path, location)
  // A link (or a FIFO …) planted where an object should be is never followed to make its
  // target read-only, nor cloned: the caller downloads instead, and verifies what it reads.
  if (handle === null) return null
  const temporary = temporaryPathFor(destPath)
  try {
    const info = await handle.stat()
    if (info.isDirectory()) throw new NotFoundError(`local: no object at ${location} (it is a folder)`)
    if (!info.isFile()) return null
    if (await reflink(path, temporary)) {
      await rename(temporary, destPath)
      return 'reflink'
    }
    if (!options.hardlink || !(await hardlinkable(info, destPath))) return null
    // Read-only first (through the descriptor: the file we checked), so that no name of the
    // file is ever writable by its mode.
    if ((info.mode & 0o222) !== 0) await handle.chmod(info.mode & 0o7555)
    if (!(await hardlink(path, temporary))) return null
    // The name may have been swapped since it was opened: only the file checked above goes out.
    if ((await lstat(temporary)).ino !== info.ino) {
      await rm(temporary, { force: true })
      return null
    }
    await rename(temporary, destPath)
    return 'hardlink'
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {})
    throw wrapFileSystemError(`link of ${location}`, error)
  } finally {
    await handle.close()
  }
}

/** The object's file, opened without following a link (null for one) and without blocking on a FIFO. */
async function openObject(path: string, location: string): Promise<FileHandle | null> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ELOOP') return null
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`local: no object at ${location}`, { cause: error })
    if (code === 'EISDIR') throw new NotFoundError(`local: no object at ${location} (it is a folder)`, { cause: error })
    throw wrapFileSystemError(`open of ${location}`, error)
  }
}

async function reflink(path: string, destination: string): Promise<boolean> {
  try {
    await copyFile(path, destination, constants.COPYFILE_FICLONE_FORCE)
    return true
  } catch (error) {
    if (NO_REFLINK.has(errnoCode(error) ?? '')) {
      await rm(destination, { force: true })
      return false
    }
    throw error
  }
}

/**
 * Same filesystem as the destination, and our own file: its mode is ours to change (a shared
 * store's file of another user is left alone, and copied instead).
 */
async function hardlinkable(info: Stats, destPath: string): Promise<boolean> {
  const folder = await stat(dirname(destPath))
  return folder.dev === info.dev && (typeof process.geteuid !== 'function' || info.uid === process.geteuid())
}

async function hardlink(path: string, destination: string): Promise<boolean> {
  try {
    await link(path, destination)
    return true
  } catch (error) {
    if (NO_HARDLINK.has(errnoCode(error) ?? '')) return false
    throw error
  }
}
