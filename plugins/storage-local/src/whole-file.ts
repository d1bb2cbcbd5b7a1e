import { createHash } from 'node:crypto'
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs'
import { type ContentDigest, toContentDigest } from '@assets/core'

/** Reading without waiting: opening a FIFO swapped in for a file would otherwise block the event loop. */
const READ_NO_WAIT = constants.O_RDONLY | constants.O_NONBLOCK

/**
 * Objects up to this size are read and written with synchronous calls, in one piece: a folder
 * of many small files spends its time in per-call overhead, not in bytes, and an asynchronous
 * call costs a thread-pool hop (two futex wake-ups and an epoll round) for each open, read,
 * write, close and rename. From the page cache each synchronous call takes microseconds; on a
 * cold disk it blocks the event loop for one small read. Measured: BENCHMARKS.md, folder-many.
 */
export const SMALL_FILE_BYTES = 1 << 20

/** A file's bytes when it is a regular file of at most SMALL_FILE_BYTES, else its size (or null when not a file). */
export function readIfSmall(path: string): { bytes?: Buffer; size: number } | null {
  const fd = openSync(path, READ_NO_WAIT)
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) return null
    if (info.size > SMALL_FILE_BYTES) return { size: info.size }
    const bytes = readAllSync(fd, info.size)
    return { bytes, size: bytes.length }
  } finally {
    closeSync(fd)
  }
}

/** Reads from the start of `fd` up to `size` bytes (fewer if the file shrank meanwhile). */
export function readAllSync(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size)
  let filled = 0
  while (filled < size) {
    const read = readSync(fd, buffer, filled, size - filled, filled)
    if (read === 0) break
    filled += read
  }
  return filled === size ? buffer : buffer.subarray(0, filled)
}

/**
 * Writes `bytes` to a file at `path` (a new one when `exclusive`), fsynced when `sync`, and
 * returns their digest.
 */
export function writeSmall(path: string, bytes: Uint8Array, options: { mode?: number; sync: boolean; exclusive: boolean }): { digest: ContentDigest; size: number } {
  const fd = openSync(path, options.exclusive ? 'wx' : 'w', options.mode ?? 0o666)
  try {
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
    if (options.sync) fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return { digest: toContentDigest(createHash('sha256').update(bytes)), size: bytes.length }
}
