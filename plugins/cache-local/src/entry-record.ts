import { chmodSync, closeSync, constants, fchmodSync, fstatSync, openSync, type Stats, statSync } from 'node:fs'
import { chmod, lstat, readdir, readFile, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { type CacheFileIdentity, checkManifestPath, hashFile, InvalidInputError, isContentDigest, runPool, writeFileAtomic } from '@assets/core'
import { isMissing } from './file-system.js'
import { sealOnThreads, statOnThreads, THREADED_SEAL_MIN_FILES } from './seal-on-threads.js'

/** The sidecar of an entry; writing it is the commit point of set(). */
export interface EntryRecord {
  version: 1
  key: string
  kind: 'file' | 'folder'
  /** Name of the data (the file or folder) inside the entry folder; a new name on every set. */
  data: string
  /** Bytes of the file, or of all files of the folder. */
  size: number
  /** A file entry's own identity; a folder entry lists its files instead. */
  mtimeMs?: number
  ino?: number
  /** A folder's files, or for a large folder the sample get() checks (all are in the file list). */
  files?: RecordedFile[]
  /** Number of files of a folder entry; more than `files.length` when only a sample is here. */
  fileCount?: number
  createdAt: number
  expiresAt?: number
}

export interface RecordedFile {
  /** `/`-separated path inside the folder entry. */
  path: string
  size: number
  mtimeMs: number
  ino: number
}

export type DataState = 'intact' | 'missing' | 'changed'

export const RECORD_NAME = 'entry.json'

const STAT_BATCH = 64
const SEAL_CONCURRENCY = 16
export const FULL_CHECK_FILES = 64

/** The full file list of a large folder entry, beside its data: `<data>.files.json`. */
export function fileListPath(dataPath: string): string {
  return `${dataPath}.files.json`
}

/**
 * Every file of a folder entry: the record's own list, or the full list beside the data when the
 * record holds a sample; null when that list is damaged (not JSON, not `fileCount` files, a field
 * or path that no set() writes), which makes the entry a miss, as a damaged record does. A list
 * that is not there throws (ENOENT): the entry may have been replaced meanwhile.
 */
export async function allFiles(dataPath: string, record: EntryRecord): Promise<readonly RecordedFile[] | null> {
  const count = record.fileCount ?? 0
  if (count <= (record.files?.length ?? 0)) return record.files ?? []
  const text = await readFile(fileListPath(dataPath), 'utf8')
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch {
    return null
  }
  return Array.isArray(list) && list.length === count && list.every(isRecordedFile) ? list : null
}

function isRecordedFile(file: unknown): file is RecordedFile {
  if (typeof file !== 'object' || file === null) return false
  const { path, size, mtimeMs, ino } = file as Record<string, unknown>
  if (![size, mtimeMs, ino].every((n) => typeof n === 'number' && Number.isFinite(n))) return false
  try {
    checkManifestPath(path as string)
    return true
  } catch {
    return false
  }
}

/**
 * Seals a folder's files into the record: all of them when few, else an evenly spread sample,
 * with the full list written beside the data first (the record is the commit point), so that
 * reading the record on every get stays cheap.
 */
export async function recordFiles(dataPath: string, files: readonly RecordedFile[]): Promise<Pick<EntryRecord, 'files' | 'fileCount'>> {
  // Only a RecordedFile's own fields, whatever else the objects hold (set()'s given files).
  if (files.length <= FULL_CHECK_FILES) return { files: files.map(recorded), fileCount: files.length }
  await writeFileAtomic(fileListPath(dataPath), JSON.stringify(files, RECORDED_FIELDS))
  return { files: sample(files, FULL_CHECK_FILES).map(recorded), fileCount: files.length }
}

const RECORDED_FIELDS = ['path', 'size', 'mtimeMs', 'ino']

function recorded({ path, size, mtimeMs, ino }: RecordedFile): RecordedFile {
  return { path, size, mtimeMs, ino }
}

function sample<T>(items: readonly T[], count: number): readonly T[] {
  if (items.length <= count) return items
  const step = items.length / count
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)] as T)
}

/** The record in `folder`, or null when there is none or it cannot be read (a miss, not a failure). */
export async function readRecord(folder: string): Promise<EntryRecord | null> {
  let text: string
  try {
    text = await readFile(join(folder, RECORD_NAME), 'utf8')
  } catch (error) {
    if (isMissing(error)) return null
    throw error
  }
  try {
    const record: unknown = JSON.parse(text)
    return isEntryRecord(record) ? record : null
  } catch {
    return null
  }
}

export async function writeRecord(folder: string, record: EntryRecord): Promise<void> {
  await writeFileAtomic(join(folder, RECORD_NAME), JSON.stringify(record))
}

/**
 * Makes the files of freshly moved data read-only (`mode`: 0o400, or 0o444 in a shared cache),
 * so that an accidental edit fails loudly, and records what get() later compares against. chmod changes ctime, not mtime, so the
 * recorded identity stays valid. A file entry's mtime is set one second into the past, so that
 * the next write through it is seen whenever it happens. A folder's files `given` by the
 * caller that made them (set()'s `files`, each from a stat once complete) are recorded as
 * given, and only those not in their sealed mode are changed.
 */
export async function sealData(
  dataPath: string,
  kind: EntryRecord['kind'],
  mode: number,
  given?: readonly CacheFileIdentity[],
): Promise<Pick<EntryRecord, 'size' | 'mtimeMs' | 'ino' | 'files' | 'fileCount'>> {
  if (kind === 'file') {
    const found = await stat(dataPath)
    await chmod(dataPath, sealedMode(found, mode))
    // A past mtime of its own: any later write through the entry's path moves it (to now),
    // even one within the same clock tick as the download that wrote the file. A file with
    // other names (a storage blob linked in, shared with other entries) only while it is that
    // fresh: moving an older one's mtime would make every entry that records it look changed.
    if (found.nlink === 1 || Date.now() - found.mtimeMs < 2000) {
      const sealedAt = Math.floor(Date.now() / 1000) - 1
      await utimes(dataPath, sealedAt, sealedAt)
    }
    const info = await stat(dataPath)
    return { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino }
  }
  if (given !== undefined) return recordGiven(dataPath, given, mode)
  const paths: string[] = []
  for await (const path of filesUnder(dataPath, '')) paths.push(path)
  // Many files on threads (see seal-on-threads.ts), fewer on the event loop.
  const files = paths.length >= THREADED_SEAL_MIN_FILES ? await sealOnThreads(dataPath, paths, mode) : await sealHere(dataPath, paths, mode)
  return { size: files.reduce((sum, file) => sum + file.size, 0), ...(await recordFiles(dataPath, files)) }
}

/**
 * The record of a folder whose files the caller gave, trusted to be all of them as they are:
 * those not in their sealed mode (made outside the caller's sealing, usually few) are changed
 * now; the rest were sealed as they were made. Every path is checked as one inside the folder
 * before anything is touched, and a file is changed only if it is a regular file, not through
 * a link.
 */
async function recordGiven(dataPath: string, given: readonly CacheFileIdentity[], mode: number): Promise<Pick<EntryRecord, 'size' | 'files' | 'fileCount'>> {
  let size = 0
  const unsealed: string[] = []
  for (const file of given) {
    // A folder manifest's rule: relative, no empty, `.` or `..` part, no backslash or control character.
    checkManifestPath(file.path)
    if (file.mode !== sealedMode(file, mode)) unsealed.push(file.path)
    size += file.size
  }
  // Many (a shared cache's 0444 over blobs linked in 0400) on threads, as a folder without a list.
  if (unsealed.length >= THREADED_SEAL_MIN_FILES) await sealOnThreads(dataPath, unsealed, mode)
  else for (const path of unsealed) sealFile(join(dataPath, ...path.split('/')), path, mode)
  return { size, ...(await recordFiles(dataPath, given)) }
}

/** One given file sealed through its descriptor: opened without following a link, a regular file only. */
function sealFile(full: string, path: string, mode: number): void {
  let fd: number
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new InvalidInputError(`cache: ${JSON.stringify(path)} is a link, not a file of the folder`)
    throw error
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) throw new InvalidInputError(`cache: ${JSON.stringify(path)} is not a regular file`)
    fchmodSync(fd, sealedMode(info, mode))
  } finally {
    closeSync(fd)
  }
}

/** sealData's stat and chmod of each file, several at once: a folder of many files is bound by per-file latency, not bytes. */
function sealHere(dataPath: string, paths: readonly string[], mode: number): Promise<RecordedFile[]> {
  return runPool(paths, SEAL_CONCURRENCY, async (path): Promise<RecordedFile> => {
    const full = join(dataPath, ...path.split('/'))
    // chmod changes neither size, mtime nor inode: the stat taken before it is the record's.
    // Synchronous metadata calls: cheaper than a thread-pool hop each for many small files.
    const info = statSync(full)
    chmodSync(full, sealedMode(info, mode))
    return { path, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino }
  })
}

/**
 * The mode of a sealed file: `mode`, except that a hard link to a local storage's file (more
 * than one name) also keeps the read bits it had, so that sealing it into a private cache never
 * takes away what a shared store's readers need. Write bits are never kept.
 */
function sealedMode(info: { nlink: number; mode: number }, mode: number): number {
  return info.nlink > 1 ? mode | (info.mode & 0o444) : mode
}

/**
 * Compares the data on disk with its record by size, mtime and inode: a stat per file, no
 * reading, so that a warm get stays in the millisecond range. Rewriting a file in place changes
 * its mtime; replacing it changes its inode; truncating it changes its size. A folder of more
 * than FULL_CHECK_FILES files (a zarr store of many chunks) gets an evenly spread sample of
 * that many on the hot path, so a warm get stays fast whatever the count, unless the caller
 * passes all of them (`verify`, and `get` where modes do not stop writes); many are stat'ed on
 * threads.
 */
export async function checkData(dataPath: string, record: EntryRecord, files: readonly RecordedFile[] = record.files ?? []): Promise<DataState> {
  if (record.kind === 'file') {
    const info = await statOrNull(dataPath)
    if (info === null) return 'missing'
    return sameFile(info, { size: record.size, mtimeMs: record.mtimeMs ?? Number.NaN, ino: record.ino ?? Number.NaN }) ? 'intact' : 'changed'
  }
  if (files.length === 0) return (await statOrNull(dataPath))?.isDirectory() ? 'intact' : 'missing'
  if (files.length >= THREADED_SEAL_MIN_FILES) {
    const found = await statOnThreads(dataPath, files.map((file) => file.path))
    if (files.every((file, index) => sameIdentity(found[index], file))) return 'intact'
    return (await statOrNull(dataPath)) === null ? 'missing' : 'changed'
  }
  for (let start = 0; start < files.length; start += STAT_BATCH) {
    const batch = files.slice(start, start + STAT_BATCH)
    // Not through a link, as on the threads: an entry's files are never links.
    const infos = await Promise.all(batch.map((file) => statOrNull(join(dataPath, ...file.path.split('/')), lstat)))
    const intact = batch.every((file, index) => {
      const info = infos[index]
      return info !== null && info !== undefined && sameFile(info, file)
    })
    if (!intact) return (await statOrNull(dataPath)) === null ? 'missing' : 'changed'
  }
  return 'intact'
}

/** Content entries (`sha256:` keys) are re-hashed; other files by size, folders file by file by size, mtime and inode. */
export async function verifyData(dataPath: string, record: EntryRecord): Promise<boolean> {
  try {
    if (record.kind === 'file') {
      if (isContentDigest(record.key)) {
        const { digest, size } = await hashFile(dataPath)
        return digest === record.key && size === record.size
      }
      return (await stat(dataPath)).size === record.size
    }
    const files = await allFiles(dataPath, record)
    return files !== null && (await checkData(dataPath, record, files)) === 'intact'
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

/** Regular files under `root/relative`, as `/`-separated paths; links and special files are not content. */
export async function* filesUnder(root: string, relative: string): AsyncGenerator<string> {
  const entries = await readdir(relative === '' ? root : join(root, ...relative.split('/')), { withFileTypes: true })
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`
    if (entry.isDirectory()) yield* filesUnder(root, path)
    else if (entry.isFile()) yield path
  }
}

function sameFile(info: Stats, recorded: { size: number; mtimeMs: number; ino: number }): boolean {
  return info.isFile() && sameIdentity(info, recorded)
}

/** NaN (a file the threads found missing or not regular) matches nothing. */
function sameIdentity(found: { size: number; mtimeMs: number; ino: number } | undefined, recorded: { size: number; mtimeMs: number; ino: number }): boolean {
  return found !== undefined && found.size === recorded.size && found.mtimeMs === recorded.mtimeMs && found.ino === recorded.ino
}

async function statOrNull(path: string, look: (path: string) => Promise<Stats> = stat): Promise<Stats | null> {
  try {
    return await look(path)
  } catch (error) {
    if (isMissing(error)) return null
    throw error
  }
}

function isEntryRecord(value: unknown): value is EntryRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Partial<EntryRecord>
  return (
    record.version === 1 &&
    typeof record.key === 'string' &&
    typeof record.data === 'string' &&
    (record.kind === 'file' || record.kind === 'folder') &&
    typeof record.size === 'number' &&
    (record.kind === 'file' || Array.isArray(record.files))
  )
}
