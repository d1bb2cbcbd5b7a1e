import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { lstat, rename, rm, rmdir, utimes } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import {
  AssetError,
  BackendUnavailableError,
  type Cache,
  type CacheEntryInfo,
  type CacheLock,
  type CacheSetOptions,
  type CacheStats,
  InvalidInputError,
  readOnlyModesHold,
} from '@assets/core'
import { CacheLayout } from './cache-layout.js'
import { acquireFileLock, type FileLock } from './entry-lock.js'
import { allFiles, checkData, type DataState, type EntryRecord, fileListPath, RECORD_NAME, type RecordedFile, readRecord, sealData, verifyData, writeRecord } from './entry-record.js'
import { type ScannedEntry, scanEntries } from './entry-scan.js'
import { expiresAtFor, isExpired } from './expiry.js'
import { isMissing } from './file-system.js'
import { DEFAULT_STALE_LOCK_MS, type LocalCacheOptions } from './local-cache-options.js'
import { moveInto } from './move-into.js'
import { sweepEntryFolder, sweepLocks, sweepStaging } from './sweep.js'
import { ValueStore } from './value-store.js'

/**
 * A cache in a local folder. Each entry is a folder holding a record (`entry.json`) and one
 * generation of data; writing the record is the commit point, so readers see the old entry or
 * the new one. Several processes may share the folder.
 */
export class LocalCache implements Cache {
  readonly name = 'local'
  /** Absolute root folder; nothing is created until first use. */
  readonly root: string
  readonly maxBytes: number | undefined
  private readonly layout: CacheLayout
  private readonly staleLockMs: number
  private readonly values: ValueStore
  private readonly held = new Set<FileLock>()
  private hits = 0
  private misses = 0
  private stagingReady = false
  private rootReady = false
  /** Whether other OS users may read the entries (as the umask says) or only the owner. */
  readonly shared: boolean
  /** See the `hardlinks` option: whether set() is handed hard links to a local storage's files. */
  readonly acceptsHardlinks: boolean
  /** The mode of an entry's files: read-only, for its owner or (shared) for everyone. */
  readonly sealedFileMode: number
  /** See the `folderCheck` option: whether get() stats every file of a large folder, not a sample. */
  readonly checksEveryFile: boolean

  constructor(options: LocalCacheOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new InvalidInputError('local cache: option "path" (the root folder of the cache) is required')
    }
    this.root = resolve(options.path)
    this.maxBytes = options.maxBytes
    this.staleLockMs = options.staleLockMs ?? DEFAULT_STALE_LOCK_MS
    this.shared = options.shared === true
    this.sealedFileMode = this.shared ? 0o444 : 0o400
    const hardlinks = options.hardlinks ?? 'protected'
    this.acceptsHardlinks = hardlinks === 'always' || (hardlinks === 'protected' && readOnlyModesHold())
    // Where the read-only mode does not stop a write through a returned path, only a look at
    // every file can tell that an entry is still what was cached.
    const folderCheck = options.folderCheck ?? 'auto'
    this.checksEveryFile = folderCheck === 'all' || (folderCheck === 'auto' && !readOnlyModesHold())
    this.layout = new CacheLayout(this.root)
    this.values = new ValueStore(this.layout, options.defaultTtl)
  }

  async get(key: string): Promise<string | null> {
    const path = await this.guard(`get ${key}`, () => this.lookup(checkKey(key)))
    if (path === null) {
      this.misses += 1
      return null
    }
    this.hits += 1
    // The record's mtime is the entry's last access, which LRU eviction sorts by.
    const now = new Date()
    await utimes(join(this.layout.entryFolder(key), RECORD_NAME), now, now).catch(() => {})
    return path
  }

  async has(key: string): Promise<boolean> {
    return (await this.guard(`has ${key}`, () => this.lookup(checkKey(key)))) !== null
  }

  async set(key: string, path: string, options: CacheSetOptions = {}): Promise<string> {
    checkKey(key)
    const expiresAt = expiresAtFor(options.ttl, `set(${JSON.stringify(key)})`)
    const kind = await kindOf(path)
    return this.guard(`set ${key}`, async () => {
      this.createRoot()
      const folder = this.layout.entryFolder(key)
      const previous = await readRecord(folder)
      const data = generationName(kind === 'file' ? path : undefined)
      const dataPath = join(folder, data)
      await moveInto(path, dataPath)
      try {
        const sealed = await sealData(dataPath, kind, this.sealedFileMode, kind === 'folder' ? options.files : undefined)
        await writeRecord(folder, { version: 1, key, kind, data, ...sealed, createdAt: Date.now(), expiresAt })
      } catch (error) {
        // Give the caller its data back rather than losing it with the failed entry.
        await rename(dataPath, path).catch(() => rm(dataPath, { recursive: true, force: true }))
        throw error
      }
      if (previous !== null && previous.data !== data) {
        await rm(join(folder, previous.data), { recursive: true, force: true })
        await rm(fileListPath(join(folder, previous.data)), { force: true })
      }
      if (this.maxBytes !== undefined) await this.evict(await this.liveEntries(), this.maxBytes, key)
      return dataPath
    })
  }

  async delete(key: string): Promise<void> {
    const folder = this.layout.entryFolder(checkKey(key))
    await this.guard(`delete ${key}`, async () => {
      // Retried because a concurrent set may swap the generation between reading and removing.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const record = await readRecord(folder)
        if (record === null || (await this.removeEntry(folder, record))) return
      }
    })
  }

  stagingPath(key: string): string {
    if (!this.stagingReady) {
      try {
        this.createRoot()
        mkdirSync(this.layout.staging, { recursive: true })
        this.stagingReady = true
      } catch {
        // Left to the caller's write, which will fail with the underlying reason.
      }
    }
    return this.layout.stagingPath(checkKey(key))
  }

  async lock(key: string, options: { signal?: AbortSignal } = {}): Promise<CacheLock> {
    await this.guard('lock', async () => this.createRoot())
    const lock = await acquireFileLock(this.layout.lockPath(checkKey(key)), { staleLockMs: this.staleLockMs, signal: options.signal }, (released) =>
      this.held.delete(released),
    )
    this.held.add(lock)
    return lock
  }

  async getValue<T = unknown>(key: string): Promise<T | null> {
    return this.guard(`getValue ${key}`, () => this.values.get<T>(checkKey(key)))
  }

  async setValue(key: string, value: unknown, options: CacheSetOptions = {}): Promise<void> {
    await this.guard(`setValue ${key}`, async () => {
      this.createRoot()
      await this.values.set(checkKey(key), value, options.ttl)
    })
  }

  async deleteValue(key: string): Promise<void> {
    await this.guard(`deleteValue ${key}`, () => this.values.delete(checkKey(key)))
  }

  async *list(): AsyncIterable<CacheEntryInfo> {
    for (const entry of await this.guard('list', () => this.liveEntries())) {
      const { record } = entry
      yield {
        key: record.key,
        path: join(entry.folder, record.data),
        size: record.size,
        lastAccess: new Date(entry.lastAccessMs),
        expiresAt: record.expiresAt === undefined ? undefined : new Date(record.expiresAt),
      }
    }
  }

  async stats(): Promise<CacheStats> {
    const live = await this.guard('stats', () => this.liveEntries())
    const bytes = live.reduce((sum, entry) => sum + entry.record.size, 0)
    return { entries: live.length, bytes, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses }
  }

  async prune(options: { maxBytes?: number } = {}): Promise<{ removed: number; freedBytes: number }> {
    return this.guard('prune', async () => {
      const expiredValues = await this.values.pruneExpired()
      let removed = expiredValues.removed
      let freedBytes = expiredValues.freedBytes
      const live: LiveEntry[] = []
      for await (const entry of scanEntries(this.layout)) {
        const { record } = entry
        if (record !== null && isExpired(record.expiresAt)) {
          if (await this.removeEntry(entry.folder, record)) {
            removed += 1
            freedBytes += record.size
          }
          continue
        }
        await sweepEntryFolder(entry)
        if (record !== null) live.push({ ...entry, record })
      }
      await sweepStaging(this.layout.staging)
      await sweepLocks(this.layout.locks, this.staleLockMs)
      const limit = options.maxBytes ?? this.maxBytes
      if (limit !== undefined) {
        const evicted = await this.evict(live, limit)
        removed += evicted.removed
        freedBytes += evicted.freedBytes
      }
      return { removed, freedBytes }
    })
  }

  async verify(): Promise<{ checked: number; removed: string[] }> {
    return this.guard('verify', async () => {
      let checked = 0
      const removed: string[] = []
      for await (const entry of scanEntries(this.layout)) {
        if (entry.record === null) continue
        checked += 1
        const dataPath = join(entry.folder, entry.record.data)
        if (!(await verifyData(dataPath, entry.record)) && (await this.removeEntry(entry.folder, entry.record))) {
          removed.push(entry.record.key)
        }
      }
      return { checked, removed }
    })
  }

  async clear(): Promise<void> {
    await this.guard('clear', async () => {
      // Locks stay: a process holding one is still entitled to it.
      for (const folder of [this.layout.entries, this.layout.values, this.layout.staging]) {
        await rm(folder, { recursive: true, force: true })
      }
      this.stagingReady = false
    })
  }

  async close(): Promise<void> {
    await Promise.all([...this.held].map((lock) => lock.release()))
  }

  /**
   * Makes the root (and any missing folder above it) owner-only before anything goes in, so
   * that nothing under it is reachable by other users. A root that exists keeps its mode.
   */
  private createRoot(): void {
    if (this.rootReady) return
    mkdirSync(this.root, { recursive: true, ...(this.shared ? {} : { mode: 0o700 }) })
    this.rootReady = true
  }

  /** The entry's data path when it is complete, unexpired and unchanged on disk; damaged entries are dropped. */
  private async lookup(key: string): Promise<string | null> {
    const folder = this.layout.entryFolder(key)
    for (let attempt = 0; ; attempt += 1) {
      const record = await readRecord(folder)
      if (record === null || record.key !== key) return null
      if (isExpired(record.expiresAt)) {
        await this.removeEntry(folder, record)
        return null
      }
      const dataPath = join(folder, record.data)
      const state = await this.checkEntry(dataPath, record)
      if (state === 'intact') return dataPath
      // Another process may have replaced the generation between reading the record and the stat.
      if (state === 'missing' && attempt < LOOKUP_ATTEMPTS - 1) continue
      await this.removeEntry(folder, record)
      return null
    }
  }

  /**
   * As checkData, with every file of a large folder when `checksEveryFile`: a file list that is
   * gone is a missing entry (replaced meanwhile, or lost), a damaged one a changed entry.
   */
  private async checkEntry(dataPath: string, record: EntryRecord): Promise<DataState> {
    if (!this.checksEveryFile || record.kind !== 'folder') return checkData(dataPath, record)
    let files: readonly RecordedFile[] | null
    try {
      files = await allFiles(dataPath, record)
    } catch (error) {
      if (isMissing(error)) return 'missing'
      throw error
    }
    return files === null ? 'changed' : checkData(dataPath, record, files)
  }

  /** Removes the entry if `record` is still its current generation; true when it did. */
  private async removeEntry(folder: string, record: EntryRecord): Promise<boolean> {
    const current = await readRecord(folder)
    if (current === null || current.data !== record.data) return false
    // The record goes first: without it the entry is a miss, whatever is left of its data.
    await rm(join(folder, RECORD_NAME), { force: true })
    await rm(join(folder, record.data), { recursive: true, force: true })
    await rm(fileListPath(join(folder, record.data)), { force: true })
    await rmdir(folder).catch(() => {})
    return true
  }

  private async liveEntries(): Promise<LiveEntry[]> {
    const live: LiveEntry[] = []
    const now = Date.now()
    for await (const entry of scanEntries(this.layout)) {
      if (entry.record !== null && !isExpired(entry.record.expiresAt, now)) live.push({ ...entry, record: entry.record })
    }
    return live
  }

  /**
   * Removes least recently used entries until at most `limit` bytes remain. `keep` (the entry
   * just set) is never evicted, even when it alone is over the limit: its caller needs it.
   */
  private async evict(live: LiveEntry[], limit: number, keep?: string): Promise<{ removed: number; freedBytes: number }> {
    let total = live.reduce((sum, entry) => sum + entry.record.size, 0)
    let removed = 0
    let freedBytes = 0
    const oldestFirst = live.filter((entry) => entry.record.key !== keep).sort((a, b) => a.lastAccessMs - b.lastAccessMs)
    for (const entry of oldestFirst) {
      if (total <= limit) break
      if (await this.removeEntry(entry.folder, entry.record)) {
        removed += 1
        freedBytes += entry.record.size
      }
      total -= entry.record.size
    }
    return { removed, freedBytes }
  }

  private async guard<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      if (AssetError.isInstance(error) || (error instanceof Error && error.name === 'AbortError')) throw error
      const code = (error as { code?: unknown }).code
      throw new BackendUnavailableError('local cache', `${action} failed (${typeof code === 'string' ? code : String(error)})`, { cause: error })
    }
  }
}

type LiveEntry = ScannedEntry & { record: EntryRecord }

const LOOKUP_ATTEMPTS = 3

function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new InvalidInputError('local cache: a key must be a non-empty string')
  return key
}

async function kindOf(path: string): Promise<EntryRecord['kind']> {
  try {
    const info = await lstat(path)
    if (info.isFile()) return 'file'
    if (info.isDirectory()) return 'folder'
  } catch (error) {
    if (!isMissing(error)) throw error
    throw new InvalidInputError(`local cache: nothing to cache at ${path}`, { cause: error })
  }
  throw new InvalidInputError(`local cache: ${path} is neither a file nor a folder`)
}

/**
 * A name no earlier generation of the entry used, so readers holding the old path keep reading
 * old bytes while the new ones move in. A file keeps a short extension (`.h5ad`, `.csv`), which
 * some tools look at.
 */
function generationName(sourceFile: string | undefined): string {
  const extension = sourceFile === undefined ? '' : extname(sourceFile)
  const kept = /^\.[A-Za-z0-9]{1,16}$/.test(extension) ? extension : ''
  return `g${Date.now().toString(36)}-${randomBytes(4).toString('hex')}${kept}`
}
