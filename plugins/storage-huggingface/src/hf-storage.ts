import {
  type DownloadOptions,
  type DownloadResult,
  type ExternalObject,
  InvalidInputError,
  type OpenOptions,
  type Storage,
  type StorageCapabilities,
  type StorageObjectInfo,
  type UploadOptions,
  type UploadResult,
} from '@assets/core'
import { listFiles, pathsInfo } from '@huggingface/hub'
import { describeHubFile } from './external-reference.js'
import { downloadHubFile } from './file-download.js'
import type { HuggingFaceStorageOptions } from './hf-options.js'
import { isMissingEntry, toAssetError } from './hub-errors.js'
import { hubRead } from './hub-request.js'
import { type HubContext, type HubTarget, hubTarget, isCommitSha } from './hub-target.js'
import { checkRepoPath, prefixFolder } from './repo-path.js'
import { type RepositoryDownload, type RepositoryDownloadOptions, downloadRepository } from './repository-download.js'
import { requestResolve } from './resolve-request.js'
import { RepoWriter } from './repo-writer.js'
import { type RevisionTag, RevisionResolver, versionFromRevision, versionTag } from './revision-version.js'

/**
 * A Hugging Face Hub repository as a store: locations are paths in the repository at the
 * configured revision. Writes are commits on that revision, which must be a branch, with a token.
 */
export class HuggingFaceStorage implements Storage {
  readonly name = 'huggingface'
  readonly capabilities: StorageCapabilities
  private readonly target: HubTarget
  private readonly writer: RepoWriter
  private readonly revisions: RevisionResolver

  constructor(
    private readonly options: HuggingFaceStorageOptions,
    private readonly context: HubContext = {},
  ) {
    this.target = hubTarget(options, context)
    const readOnlyBecause =
      options.readOnly === true
        ? 'the storage is configured readOnly'
        : this.target.token === undefined
          ? 'no token is configured (set HF_TOKEN or the token option)'
          : isCommitSha(this.target.revision)
            ? `revision ${this.target.revision} is a commit, not a branch`
            : versionFromRevision(this.target.revision) !== undefined
              ? `revision ${this.target.revision} is a version tag, not a branch`
              : undefined
    const write = readOnlyBecause === undefined
    this.capabilities = Object.freeze({
      write,
      delete: write,
      list: true,
      range: true,
      multipart: false,
      resumableUpload: false,
      presign: false,
      atomicMove: false,
    })
    this.revisions = new RevisionResolver(this.target)
    this.writer = new RepoWriter(this.target, this.revisions, readOnlyBecause)
  }

  /** Commits the file at `location` (through LFS when the hub says so); the result's versionId is the commit. */
  upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<UploadResult> {
    return this.writer.upload(checkRepoPath(location), source, options)
  }

  async download(location: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    checkRepoPath(location)
    options.signal?.throwIfAborted()
    const result = await downloadHubFile(this.target, location, destPath, {
      revision: this.target.revision,
      resume: options.resume === true,
      // A resumed file is appended to as it is (the Storage contract): the manager hashes the
      // whole file before using it, which also catches a prefix from another commit.
      verify: 'fresh',
      signal: options.signal,
      onProgress: options.onProgress,
    })
    return { size: result.size, digest: result.digest }
  }

  open(location: string, options: OpenOptions = {}): AsyncIterable<Uint8Array> {
    return this.readRange(checkRepoPath(location), options)
  }

  async stat(location: string): Promise<StorageObjectInfo | null> {
    checkRepoPath(location)
    const scope = { what: `stat of ${location}` }
    // expand: the last commit that touched the file gives its age, which gc needs before it
    // removes an unreferenced object (core keeps objects of unknown age).
    const found = await hubRead(this.target, scope, () =>
      pathsInfo({ ...this.clientParams(), paths: [location], revision: this.target.revision, expand: true }),
    )
    const file = found.find((entry) => entry.path === location && entry.type === 'file')
    if (file === undefined) return null
    const lastModified = file.lastCommit?.date === undefined ? undefined : new Date(file.lastCommit.date)
    return { location, size: file.size, etag: file.lfs?.oid ?? file.oid, lastModified }
  }

  /** Deletes by a commit; a location with nothing there needs no commit. */
  delete(location: string): Promise<void> {
    checkRepoPath(location)
    return this.writer.delete(location, () => this.stat(location))
  }

  async *list(prefix: string): AsyncIterable<StorageObjectInfo> {
    const folder = prefixFolder(prefix)
    // expand, for each file's last commit: its date is the object's age (see stat).
    const entries = listFiles({
      ...this.clientParams(),
      recursive: true,
      expand: true,
      path: folder === '' ? undefined : folder,
      revision: this.target.revision,
    })
    try {
      for await (const entry of entries) {
        if (entry.type !== 'file' || !entry.path.startsWith(prefix)) continue
        const lastModified = entry.lastCommit === undefined ? undefined : new Date(entry.lastCommit.date)
        yield { location: entry.path, size: entry.size, etag: entry.lfs?.oid ?? entry.oid, lastModified }
      }
    } catch (error) {
      // A folder that does not exist holds nothing; a missing repository or revision is an error.
      if (isMissingEntry(error)) return
      throw toAssetError(this.target, { what: `list of ${JSON.stringify(prefix)}` }, error)
    }
  }

  /**
   * Registers a hub file by reference: `hf://[datasets/|spaces/]namespace/name[@revision]/path` in
   * this repository at this revision, hashed in one read. `etag` is the hub's digest (what `stat`
   * reports), `versionId` the commit it was read at.
   */
  describeExternal(uri: string, options: { signal?: AbortSignal } = {}): Promise<ExternalObject> {
    return describeHubFile(this.target, uri, options.signal)
  }

  async close(): Promise<void> {}

  /** What the storage points at, for logs: never the token. */
  describe(): { repo: string; repoType: string; revision: string; endpoint: string; authenticated: boolean } {
    const { id, type, revision, hubUrl, token } = this.target
    return { repo: id, repoType: type, revision, endpoint: hubUrl, authenticated: token !== undefined }
  }

  toJSON(): ReturnType<HuggingFaceStorage['describe']> {
    return this.describe()
  }

  // console.log and util.inspect would otherwise print the private fields, token included.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `HuggingFaceStorage ${JSON.stringify(this.describe())}`
  }

  /** The commit sha the configured revision (or `revision`) points at now. */
  resolveRevision(revision = this.target.revision, signal?: AbortSignal): Promise<string> {
    return this.revisions.commitOf(revision, signal)
  }

  /**
   * Downloads every file of the repository at a revision into `destDir` (which must not exist or
   * be empty), resumable and verified, and returns the files with sizes and sha256s: the
   * manifest of a folder asset.
   */
  downloadRepository(destDir: string, options: RepositoryDownloadOptions = {}): Promise<RepositoryDownload> {
    return downloadRepository(this.target, this.revisions, destDir, options)
  }

  /** Tags the current commit of the configured revision (or `options.revision`) as version `v1.2.3`. */
  tagVersion(version: string, options: { revision?: string; message?: string; signal?: AbortSignal } = {}): Promise<RevisionTag> {
    return this.writer.tag(versionTag(version), options)
  }

  /** The same repository read at another revision; a tag or a commit gives a read-only store. */
  atRevision(revision: string): HuggingFaceStorage {
    return new HuggingFaceStorage({ ...this.options, revision }, this.context)
  }

  /** The same repository read at the tag of an asset version (`1.2.0` → `v1.2.0`). */
  atVersion(version: string): HuggingFaceStorage {
    return this.atRevision(versionTag(version))
  }

  private clientParams(): { repo: { type: HubTarget['type']; name: string }; hubUrl: string; accessToken?: string } {
    return { repo: { type: this.target.type, name: this.target.id }, hubUrl: this.target.hubUrl, accessToken: this.target.token }
  }

  private async *readRange(location: string, options: OpenOptions): AsyncGenerator<Uint8Array> {
    const start = checkOffset(location, 'start', options.start) ?? 0
    const end = checkOffset(location, 'end', options.end)
    if (end !== undefined && start > end) throw new InvalidInputError(`huggingface: open ${location}: start (${start}) is after end (${end})`)
    options.signal?.throwIfAborted()
    const scope = { what: `read of ${location}` }
    const empty = end !== undefined && start === end
    const ranged = start > 0 || end !== undefined
    const resolved = await hubRead(
      this.target,
      scope,
      () =>
        requestResolve(this.target, this.target.revision, location, {
          method: empty ? 'HEAD' : 'GET',
          range: ranged && !empty ? { start, last: end === undefined ? undefined : end - 1 } : undefined,
          signal: options.signal,
        }),
      options.signal,
    )
    const body = resolved.response.body
    // 416: the range starts at or past the end, so there is nothing to read.
    if (empty || resolved.response.status === 416 || body === null) {
      await body?.cancel()
      return
    }
    // A server that ignores Range sends the whole file: skip and cut by hand.
    let position = resolved.response.status === 206 ? start : 0
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        options.signal?.throwIfAborted()
        const from = Math.max(0, start - position)
        const to = end === undefined ? chunk.length : Math.min(chunk.length, end - position)
        position += chunk.length
        if (to > from) yield from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to)
        if (end !== undefined && position >= end) break
      }
    } catch (error) {
      throw toAssetError(this.target, scope, error)
    } finally {
      await body.cancel().catch(() => {})
    }
  }
}

function checkOffset(location: string, name: 'start' | 'end', value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`huggingface: open ${location}: ${name} must be a non-negative integer, got ${value}`)
  }
  return value
}

