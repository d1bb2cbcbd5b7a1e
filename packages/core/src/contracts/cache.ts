export interface CacheEntryInfo {
  key: string
  path: string
  size: number
  lastAccess: Date
  expiresAt?: Date
}

export interface CacheStats {
  entries: number
  bytes: number
  maxBytes?: number
  hits: number
  misses: number
}

export interface CacheSetOptions {
  /** Seconds before the entry expires. Content-addressed entries need none: they never go stale. */
  ttl?: number
  /**
   * Optional, for a folder: every file of it as the caller made it, taken by a stat once the
   * file was complete (most already in `sealedFileMode`), and trusted to be all of them. A
   * cache that records its files may take these instead of a stat of each, and change only the
   * modes that differ: for 10⁵ files that pass cost 0.5–1.3 s of a cold get (BENCHMARKS.md).
   */
  files?: readonly CacheFileIdentity[]
}

/** A file of a folder given to set(), as an fstat found it. */
export interface CacheFileIdentity {
  /** `/`-separated, inside the folder. */
  path: string
  size: number
  mtimeMs: number
  ino: number
  /** The file's mode bits (st_mode & 0o7777). */
  mode: number
  /** Its number of names (more than one: a hard link to a storage's blob). */
  nlink: number
}

export interface CacheLock {
  release(): Promise<void>
}

/**
 * A local copy of content and of mutable look-ups. Keys of content entries are content digests
 * (`sha256:…`), so they never go stale; TTL is for mutable look-ups (alias → version).
 */
export interface Cache {
  readonly name: string
  /**
   * Optional: set() may be given a hard link to another store's file (a local storage's blob on
   * the same filesystem), so that the entry costs no second copy of the bytes. A cache says so
   * only when it keeps such a file read-only (never adding write bits to it), reports an entry
   * whose size, mtime or inode changed as a miss, and the read-only modes do stop a write
   * through the entry's path (the process is not root), or its user chose links anyway.
   */
  readonly acceptsHardlinks?: boolean
  /**
   * Optional: the mode set() gives the files of a folder entry (read-only). A caller that
   * writes a new entry's files may give them this mode once each is complete, and pass them to
   * set() as `files`, sparing the cache a pass over them.
   */
  readonly sealedFileMode?: number
  /** Path of a complete entry (file or folder), or null. A damaged entry is dropped and reported as a miss. */
  get(key: string): Promise<string | null>
  /** Moves the file or folder at `path` into the cache (same filesystem: a rename) and returns the entry's path. */
  set(key: string, path: string, options?: CacheSetOptions): Promise<string>
  has(key: string): Promise<boolean>
  delete(key: string): Promise<void>
  /** A private path on the cache's filesystem where an entry for `key` can be built; stable across processes so partial downloads resume. */
  stagingPath(key: string): string
  /** Cross-process lock for one key, so that only one process fills an entry; waits until it is free. */
  lock(key: string, options?: { signal?: AbortSignal }): Promise<CacheLock>
  /** Small JSON values (alias → version, metadata) with a TTL. */
  getValue<T = unknown>(key: string): Promise<T | null>
  setValue(key: string, value: unknown, options?: CacheSetOptions): Promise<void>
  deleteValue(key: string): Promise<void>
  list(): AsyncIterable<CacheEntryInfo>
  stats(): Promise<CacheStats>
  /** Evicts least recently used entries until at most `maxBytes` remain, and expired ones. */
  prune(options?: { maxBytes?: number }): Promise<{ removed: number; freedBytes: number }>
  /** Re-hashes content entries; damaged ones are removed. */
  verify(): Promise<{ checked: number; removed: string[] }>
  clear(): Promise<void>
  close(): Promise<void>
}
