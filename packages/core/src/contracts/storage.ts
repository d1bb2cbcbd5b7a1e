import type { TransferProgress } from '../atomic-file.js'
import type { ContentDigest } from '../digest.js'

/** What a backend can do natively. The manager and the conformance suite read these. */
export interface StorageCapabilities {
  write: boolean
  delete: boolean
  list: boolean
  /** `open` with start/end, and `download` with resume, without reading from the start. */
  range: boolean
  multipart: boolean
  resumableUpload: boolean
  /** `presign`: short-lived URLs through which a client moves an object's bytes without us. */
  presign: boolean
  /** `move` is a cheap, atomic rename on this backend (a local folder), not a copy. */
  atomicMove: boolean
  /**
   * Optional hint: how many of a folder's objects this backend moves well at once. A network
   * store pays a round trip per small object, so it gains from dozens in flight (S3: 32); core's
   * folder put and get use it instead of their default where given.
   */
  folderConcurrency?: number
  /**
   * Optional hint: a blob of at most this many bytes is written without first asking whether
   * it is stored already. Where one small write costs a round trip, as the question does (S3:
   * a HEAD, then the PUT), asking doubles the requests of a folder of small files; writing the
   * same bytes at their content address again changes nothing. Absent: always ask first.
   */
  writeWithoutAskingBelow?: number
}

export interface StorageObjectInfo {
  location: string
  size: number
  etag?: string
  versionId?: string
  lastModified?: Date
}

/** An object this store did not write, described for registration by reference. */
export interface ExternalObject extends StorageObjectInfo {
  /** sha256 of the bytes, computed while reading them once. */
  digest: ContentDigest
}

export interface UploadOptions {
  size?: number
  /** When given, the backend refuses (IntegrityError) bytes with another digest, leaving nothing at `location`. */
  digest?: ContentDigest
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
  /**
   * The object need not be durable when the call returns, only complete and atomic for readers:
   * the caller calls `sync()` before relying on it (a folder's many files, made durable in one
   * pass rather than one fsync each). Ignored by a backend without `sync`, whose uploads are
   * durable on return.
   */
  deferSync?: boolean
  /**
   * No one reads `location` until the caller moves it away (a put's staging name): the backend
   * may write it in place rather than beside it and renaming. A failure or a kill may then
   * leave a partial object there, which gc removes once it is old.
   */
  unpublished?: boolean
}

export interface UploadResult extends StorageObjectInfo {
  /** sha256 of the bytes written, computed while writing them. */
  digest: ContentDigest
}

export interface DownloadOptions {
  /**
   * Continue a partial `destPath` left by an earlier attempt instead of starting over: from its
   * current size (the file is a prefix of the object), or from what the backend's own journal
   * says the file holds (a backend that writes ranges out of order keeps such a journal, and
   * keeps a partial file shorter than the object).
   */
  resume?: boolean
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
  /** `destPath` need not be fsynced: the caller makes it durable (see `syncFileSystem`). */
  deferSync?: boolean
}

export interface DownloadResult {
  size: number
  /** Present when the backend hashed every byte of `destPath` while writing it. */
  digest?: ContentDigest
}

/** What `linkTo` may make when the filesystem has no reflinks. */
export interface LinkOptions {
  /**
   * Whether a hard link is acceptable: the object's own inode under a second name, which
   * `linkTo` first makes read-only. Only a caller that keeps the file read-only and notices a
   * change to it (a cache that says `acceptsHardlinks`) should allow one.
   */
  hardlink: boolean
}

/** How `linkTo` placed the bytes: a copy-on-write clone, or the object's own inode. */
export type LinkKind = 'reflink' | 'hardlink'

export interface OpenOptions {
  /** First byte, inclusive (default 0). */
  start?: number
  /** Last byte, exclusive (default the end), like `Uint8Array.slice`. */
  end?: number
  signal?: AbortSignal
}

/** What `presign` is asked for; `checkPresignRequest` checks it the same way for every backend. */
export interface PresignRequest {
  /** `GET` reads the object (the client may send `Range`); `PUT` writes it in one request. */
  method: 'GET' | 'PUT'
  /** How long the URL works: a whole number from 1 to 604800 (7 days, SigV4's longest). */
  expiresInSeconds: number
  /**
   * PUT only: the digest of the bytes the client will send. A backend that can makes the store
   * itself refuse any other bytes (then `verified` is true).
   */
  digest?: ContentDigest
  /** PUT only: the exact byte count; a backend that can refuses any other length. */
  size?: number
  /** PUT: the type the object is stored with; GET: the `Content-Type` of the answer. */
  contentType?: string
}

/**
 * A request any HTTP client can make, without credentials of its own: whoever holds it can
 * make it until `expiresAt`, so it is handed out only after the caller's access check, and
 * logged only through `redactSecrets` (the URL carries a signature).
 */
export interface PresignedRequest {
  url: string
  method: 'GET' | 'PUT'
  /**
   * Headers to send exactly as given (part of what is signed). Host and Content-Length are not
   * listed: every HTTP client sets them from the URL and the body, and the request must carry
   * exactly `size` bytes where a size was asked for.
   */
  headers: Record<string, string>
  expiresAt: Date
  /**
   * PUT: true when the store itself refuses bytes other than the requested `digest` (and
   * `size`), storing nothing and leaving an earlier object at the location as it was. False
   * when it cannot (no digest asked for, or a backend that cannot check one): the caller then
   * hashes the object before trusting it. GET: always false; the reader checks what it reads.
   */
  verified: boolean
}

/**
 * Moves bytes. Locations are `/`-separated relative paths the manager builds from validated
 * keys and digests; a backend never sees a location the manager did not authorise.
 */
export interface Storage {
  readonly name: string
  readonly capabilities: StorageCapabilities
  /** Writes a local file or a byte stream to `location`; readers never see a partial object. */
  upload(location: string, source: string | AsyncIterable<Uint8Array>, options?: UploadOptions): Promise<UploadResult>
  /** Writes the object to the local `destPath` (which the manager verifies and renames). */
  download(location: string, destPath: string, options?: DownloadOptions): Promise<DownloadResult>
  /** Streams the object's bytes, or a range of them. NotFoundError when absent. */
  open(location: string, options?: OpenOptions): AsyncIterable<Uint8Array>
  /** `null` when there is no object at `location`. */
  stat(location: string): Promise<StorageObjectInfo | null>
  /** Atomic rename, required when `capabilities.atomicMove`; replaces an existing object. */
  move?(from: string, to: string, options?: { deferSync?: boolean }): Promise<void>
  /**
   * Optional: makes every object written or moved with `deferSync` by this instance durable
   * (a backend whose writes are durable on return has none).
   */
  sync?(): Promise<void>
  /** Deleting a missing object is not an error. */
  delete(location: string): Promise<void>
  list(prefix: string): AsyncIterable<StorageObjectInfo>
  /**
   * Optional: describes an object at a URI the backend understands but did not write
   * (`s3://bucket/datasets/x.h5ad`), hashing it while reading it once. `location` in the answer
   * is what to pass to this backend later; `etag`/`versionId` let a reader notice a change.
   */
  describeExternal?(uri: string, options?: { signal?: AbortSignal }): Promise<ExternalObject>
  /**
   * Optional, for a backend whose objects are files on this machine: places the object's bytes
   * at the local `destPath` (replacing a file there) without copying them. A reflink where the
   * filesystem makes one (XFS, btrfs, APFS: a copy-on-write clone, so a later write to either
   * side stays on that side); else, when `options.hardlink` allows it, a hard link to the
   * object's own file, whose write permission bits are removed first, so that both names stay
   * read-only. `null` when neither can be made (another filesystem, an object owned by another
   * user): the caller downloads instead. NotFoundError when there is no object. The bytes are
   * not checked here: the caller verifies them as it would a download.
   */
  linkTo?(location: string, destPath: string, options: LinkOptions): Promise<LinkKind | null>
  /**
   * Optional, for a backend whose objects are files on this machine: the file that holds
   * `location` (checked as every location is), so that a caller can read many small objects
   * directly, several threads at once (a folder's `get --out`). The caller opens it without
   * following a link, reads only a regular file, and verifies what it reads.
   */
  localPath?(location: string): string
  /**
   * Optional, with `localPath`, `move` and `sync`, for a backend that lets a folder put write
   * its temporary objects (a blob's `<location>.tmp-<suffix>`, never read as an object) straight
   * to their files, several threads at once. Makes the store's root as its own writes would
   * (with its mode), and answers the mode its own writes give new files (undefined: as the
   * umask says); the put makes missing folders under the root as `upload` does. The put then
   * moves them into place with `move` and makes them durable with `sync`, as it would objects
   * uploaded with `deferSync`.
   */
  prepareLocalWrites?(): Promise<{ fileMode?: number }>
  /**
   * Optional, required when `capabilities.presign`: a URL through which a client reads or writes
   * the object at `location` directly, until it expires. Only the store's own relative
   * locations (never a reference URI or another bucket). InvalidInputError for a request
   * `checkPresignRequest` refuses; creating the URL sends nothing to the store.
   */
  presign?(location: string, request: PresignRequest): Promise<PresignedRequest>
  /**
   * Optional, for a backend that authorises reads per asset version (the asset server's
   * client): the view through which the content of `asset` is read. The manager reads a
   * version's content (its blob, a folder's manifest and files) only through it.
   */
  scopedTo?(asset: { key: string; version: string }): Storage
  /**
   * Optional: copies the object at `from` to `to` inside the store, without its bytes passing
   * through this process (S3 CopyObject), replacing an object at `to`; readers of `to` never
   * see a partial object. NotFoundError when there is no object at `from`. The bytes are not
   * checked: the caller copies only what it knows (a presigned PUT the store verified). A
   * backend may refuse objects larger than it copies in one request (UnsupportedOperationError).
   */
  copy?(from: string, to: string, options?: { signal?: AbortSignal }): Promise<void>
  /** Optional: aborts multipart uploads started before `olderThan` (gc calls it); returns what it aborted. */
  abortStaleUploads?(olderThan: Date): Promise<Array<{ location: string }>>
  close(): Promise<void>
}
