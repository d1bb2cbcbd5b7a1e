import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs'
import { copyFile, open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { IntegrityError } from '../errors/index.js'
import { runPool } from '../transfer/run-pool.js'
import { copyOnThreads, THREADED_COPY_MIN_FILES } from './threaded-copy-out.js'

/** Files copied at once: a folder of many small files is bound by per-file latency, not bytes. */
const COPY_CONCURRENCY = 16

/**
 * Copies a cache entry (a file or a folder) to `target` as the caller's own copy, writable,
 * since cache entries are read-only to guard them: a small file read and written whole, a
 * larger one a reflink where the filesystem clones (else copy_file_range). A folder's subfolders are made first, then its files
 * copied several at a time; a folder of many files, its small ones on worker threads
 * (threaded-copy-out.ts), which leave the larger ones to copyWritable. Whether a file is small
 * is known there, once it is open: the count of all the folder's files decides, since a stat of
 * each here first would cost what the threads save.
 */
export async function copyOut(source: string, target: string): Promise<void> {
  const info = await stat(source)
  if (!info.isDirectory()) {
    await copyWritable(source, target)
    return
  }
  const files: string[] = []
  async function walk(relative: string, mode: number): Promise<void> {
    mkdirSync(join(target, relative), { mode: mode | 0o700 })
    for (const entry of await readdir(join(source, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : join(relative, entry.name)
      if (entry.isDirectory()) await walk(path, (await stat(join(source, path))).mode)
      else files.push(path)
    }
  }
  await walk('', info.mode)
  let rest = files
  if (files.length >= THREADED_COPY_MIN_FILES) {
    // No digest to check: the entry was checked when the cache sealed it, as copyWritable trusts it.
    const left = await copyOnThreads(
      files.map((path) => ({ path })),
      target,
      (file) => join(source, file.path),
      { keepMode: true },
    )
    rest = left.map((at) => files[at] as string)
  }
  await runPool(rest, COPY_CONCURRENCY, (path) => copyWritable(join(source, path), join(target, path)))
}

async function copyWritable(source: string, target: string): Promise<void> {
  // The copy is the caller's: writable, whatever the entry's read-only mode. Opened as the
  // threaded copy opens its files: a link is not followed, a FIFO does not block, only a regular
  // file is copied (an entry holds nothing else; anything else was put there by someone else).
  let fd: number
  try {
    fd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new IntegrityError(`cache entry file ${source} is a link, not a regular file`)
    throw error
  }
  let bytes: Buffer | undefined
  let mode: number
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) throw new IntegrityError(`cache entry file ${source} is not a regular file`)
    mode = (info.mode & 0o777) | 0o200
    // A small file with synchronous calls, created with its mode: cheaper than the thread-pool
    // hops of copyFile and chmod (see hashFile); a clone would save it nothing.
    if (info.size <= SMALL_COPY_BYTES) bytes = readWhole(fd, info.size)
  } finally {
    closeSync(fd)
  }
  if (bytes !== undefined) {
    const out = openSync(target, 'wx', mode)
    try {
      let written = 0
      while (written < bytes.length) written += writeSync(out, bytes, written, bytes.length - written)
    } finally {
      closeSync(out)
    }
    return
  }
  await copyFile(source, target, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL)
  // Through a descriptor opened without following links: whoever can write the output folder
  // could have swapped a link in for the copy by now.
  const copied = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    await copied.chmod(mode)
  } finally {
    await copied.close()
  }
}

/** The file's bytes from its start (fewer if it shrank meanwhile; a cache entry does not). */
function readWhole(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size)
  let filled = 0
  while (filled < size) {
    const read = readSync(fd, buffer, filled, size - filled, filled)
    if (read === 0) break
    filled += read
  }
  return buffer.subarray(0, filled)
}

const SMALL_COPY_BYTES = 1 << 20
