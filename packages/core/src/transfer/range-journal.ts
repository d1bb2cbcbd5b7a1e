import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SnapshotFile } from './snapshot-file.js'

/** A byte span [start, end) of an object. */
export type Span = readonly [start: number, end: number]

/** The object a partial file belongs to; a journal for another object (or version) is ignored. */
export interface RangeIdentity {
  /** Names the object without credentials: `s3://bucket/key`, a URL, `hf://repo/path`. */
  source: string
  /** What pins the bytes to one version: an ETag, a Last-Modified date, a sha256. */
  version: string
  size: number
  /** Absolute path of the partial file. */
  path: string
}

/**
 * The file a journal belongs to: its inode and creation time, as a file deleted and written
 * again often gets the same inode number back. (Creation time is 0 where the filesystem has none.)
 */
export interface FileIdentity {
  ino: number
  born: number
}

export function fileIdentity(stats: { ino: number; birthtimeMs: number }): FileIdentity {
  return { ino: stats.ino, born: stats.birthtimeMs }
}

/**
 * What survives a crash of a download written out of order: the spans of the object that are
 * complete in the file, and which file that is.
 */
export interface RangeJournal extends RangeIdentity {
  file: FileIdentity
  done: Span[]
}

/** One journal per destination path. */
export function rangeJournalPath(dir: string, destPath: string): string {
  const name = createHash('sha256').update(resolve(destPath)).digest('hex').slice(0, 32)
  return join(dir, `download-${name}.json`)
}

/**
 * What a journal says about the file at `identity.path`:
 * - null: no journal about this very file (none, or one left for a file since replaced): the
 *   file is only a prefix, as the Storage contract has it;
 * - 'stale': the journal is about this file, but for another object or version: its bytes are
 *   of no use;
 * - the spans it holds, when the journal is about this file and this object version.
 */
export async function readRangeJournal(
  path: string,
  identity: RangeIdentity,
  file: { ino: number; birthtimeMs: number; size: number },
): Promise<Span[] | 'stale' | null> {
  let parsed: RangeJournal
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as RangeJournal
  } catch {
    return null
  }
  const { ino, born } = fileIdentity(file)
  if (parsed?.path !== identity.path || parsed.file?.ino !== ino || parsed.file?.born !== born) return null
  const same = parsed.source === identity.source && parsed.version === identity.version && parsed.size === identity.size
  const valid =
    Array.isArray(parsed.done) &&
    parsed.done.every(
      (span) => Array.isArray(span) && Number.isSafeInteger(span[0]) && Number.isSafeInteger(span[1]) && span[0] >= 0 && span[0] < span[1] && span[1] <= file.size,
    )
  return same && valid ? parsed.done : 'stale'
}

/** Drops a journal that is not (or no longer) trusted, with a crashed write's leftovers. */
export function removeRangeJournal(path: string): Promise<void> {
  return new SnapshotFile(path).remove()
}

/** Records completed spans as they land, in any order. */
export class RangeJournalWriter {
  private readonly file: SnapshotFile
  private readonly journal: RangeJournal

  constructor(path: string, identity: RangeIdentity, file: FileIdentity, done: Span[]) {
    this.file = new SnapshotFile(path)
    this.journal = { ...identity, file, done: [...done] }
  }

  start(): Promise<void> {
    return this.file.save(this.journal)
  }

  record(...spans: Span[]): Promise<void> {
    this.journal.done.push(...spans)
    return this.file.save(this.journal)
  }

  flush(): Promise<void> {
    return this.file.flush()
  }

  remove(): Promise<void> {
    return this.file.remove()
  }
}
