import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { CacheLayout } from './cache-layout.js'
import { type EntryRecord, RECORD_NAME, readRecord } from './entry-record.js'
import { namesIn } from './file-system.js'

export interface ScannedEntry {
  folder: string
  /** null for a folder without a readable record: a set in progress, or debris of a crash. */
  record: EntryRecord | null
  /** When the entry was last set or read (the record's mtime, touched by get); for a folder without a record, the folder's mtime. */
  lastAccessMs: number
}

/** Every entry folder under the cache, in no particular order; entries that vanish meanwhile are skipped. */
export async function* scanEntries(layout: CacheLayout): AsyncGenerator<ScannedEntry> {
  for (const shard of await namesIn(layout.entries)) {
    for (const name of await namesIn(join(layout.entries, shard))) {
      const folder = join(layout.entries, shard, name)
      const record = await readRecord(folder).catch(() => null)
      const stamped = await stat(record === null ? folder : join(folder, RECORD_NAME)).catch(() => null)
      if (stamped === null) continue
      yield { folder, record, lastAccessMs: stamped.mtimeMs }
    }
  }
}
