import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SnapshotFile } from '@assets/core'

export interface JournalPart {
  partNumber: number
  etag: string
  size: number
  /** CRC32 the server computed, when flexible checksums are on (CompleteMultipartUpload needs it). */
  checksum?: string
}

/**
 * What survives a crash of a multipart upload from a file: the upload id and the parts the
 * server acknowledged. The file's size, mtime and inode stand for its content: a file changed
 * since is a different upload (and the final digest check catches the rest).
 */
export interface UploadJournal {
  bucket: string
  key: string
  uploadId: string
  partSize: number
  source: { path: string; size: number; mtimeMs: number; ino: number }
  parts: JournalPart[]
}

export type JournalIdentity = Omit<UploadJournal, 'uploadId' | 'parts'>

/** One journal file per (object, source file, part size), so concurrent uploads never share one. */
export function journalPath(dir: string, identity: JournalIdentity): string {
  const name = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32)
  return join(dir, `${name}.json`)
}

export async function readJournal(path: string, identity: JournalIdentity): Promise<UploadJournal | null> {
  let parsed: UploadJournal
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as UploadJournal
  } catch {
    return null // missing, or torn by a crash: start a new upload
  }
  const same = JSON.stringify({ bucket: parsed.bucket, key: parsed.key, partSize: parsed.partSize, source: parsed.source }) === JSON.stringify(identity)
  return same && typeof parsed.uploadId === 'string' && Array.isArray(parsed.parts) ? parsed : null
}

/** Keeps one journal on disk: parts finish in any order, the file always holds all of them. */
export class JournalWriter {
  private readonly file: SnapshotFile

  /** `path` null: a stream source, which cannot be resumed, keeps its journal in memory only. */
  constructor(
    readonly path: string | null,
    private readonly journal: UploadJournal,
  ) {
    this.file = new SnapshotFile(path)
  }

  get parts(): readonly JournalPart[] {
    return this.journal.parts
  }

  /** Keeps only these parts (those the server confirmed) and starts again from them. */
  async keepOnly(parts: JournalPart[]): Promise<void> {
    this.journal.parts = [...parts]
    await this.file.save(this.journal)
  }

  get uploadId(): string {
    return this.journal.uploadId
  }

  record(part: JournalPart): Promise<void> {
    this.journal.parts.push(part)
    return this.file.save(this.journal)
  }

  flush(): Promise<void> {
    return this.file.flush()
  }

  remove(): Promise<void> {
    return this.file.remove()
  }
}
